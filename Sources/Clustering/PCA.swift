import Determinism

/// Principal component analysis by randomized subspace iteration (Halko, Martinsson & Tropp 2011): a seeded
/// Gaussian sketch of the centred data, a few power iterations with re-orthonormalisation, then the exact
/// eigen-decomposition of the small projected matrix. Accurate to float precision for the leading components when
/// the spectrum decays, as with image features; cost ≈ (3 + 2·powerIterations) passes of n·d·l with l ≈ m + 10.
///
/// ```swift
/// let pca = try PCA(components: 50, seed: 0).fit(features, n: 5000, d: 2048)
/// pca.scores      // 5000 × 50, the centred data projected on the components
/// ```
public struct PCA: Sendable, Equatable {
    /// Components to keep (at most min(n, d)).
    public var components: Int
    /// Power iterations; 4 is plenty for features with a decaying spectrum.
    public var powerIterations: Int
    /// Seed of the random sketch.
    public var seed: UInt64
    /// Worker threads; 0 uses every active core.
    public var threads: Int

    /// A configuration keeping `components` principal components.
    public init(components: Int, powerIterations: Int = 4, seed: UInt64 = 0, threads: Int = 0) {
        self.components = components
        self.powerIterations = powerIterations
        self.seed = seed
        self.threads = threads
    }

    /// A fitted projection.
    public struct Result: Sendable, Equatable {
        /// Number of components m.
        public var count: Int
        /// Column means of the data, d values.
        public var mean: [Float]
        /// Unit principal directions, m × d row-major, by decreasing variance; each has its largest-magnitude entry
        /// positive.
        public var directions: [Float]
        /// Variance along each direction (divided by n − 1), m values, decreasing.
        public var explainedVariance: [Double]
        /// The centred data in component coordinates, n × m.
        public var scores: [Float]
    }

    /// Fits the components of the rows of `x` (n × d) and projects them.
    public func fit(_ x: [Float], n: Int, d: Int) throws -> Result {
        try validateMatrix(x, rows: n, columns: d, name: "PCA input")
        guard components >= 1, components <= min(n, d) else {
            throw ClusteringError.invalidParameter(
                name: "PCA components", value: "\(components)",
                reason: "use 1...\(min(n, d)) (at most the number of points and of features)")
        }
        let workers = Parallel.resolvedThreads(threads)
        var mean = [Float](repeating: 0, count: d)
        var meanDouble = [Double](repeating: 0, count: d)
        for i in 0..<n { for t in 0..<d { meanDouble[t] += Double(x[i * d + t]) } }
        for t in 0..<d { mean[t] = Float(meanDouble[t] / Double(n)) }
        var centred = x
        for i in 0..<n { for t in 0..<d { centred[i * d + t] -= mean[t] } }

        // Sketch width: m plus oversampling, rounded up to whole SIMD registers.
        let width = min(min(n, d), (components + 10 + 15) / 16 * 16)
        var rng = SeededGenerator(seed: seed)
        let omega = (0..<(d * width)).map { _ in rng.nextGaussian() }
        return centred.withUnsafeBufferPointer { xc in
            var q = orthonormalColumns(
                omega.withUnsafeBufferPointer {
                    DenseKernels.multiply(xc, $0, n: n, d: d, m: width, threads: workers)
                }, rows: n, columns: width)
            for _ in 0..<powerIterations {
                let z = orthonormalColumns(
                    q.withUnsafeBufferPointer {
                        DenseKernels.multiplyTransposed(xc, $0, n: n, d: d, m: width, threads: workers)
                    }, rows: d, columns: width)
                q = orthonormalColumns(
                    z.withUnsafeBufferPointer {
                        DenseKernels.multiply(xc, $0, n: n, d: d, m: width, threads: workers)
                    }, rows: n, columns: width)
            }
            // Bᵀ = Xcᵀ Q (d × l); B Bᵀ = (Bᵀ)ᵀ Bᵀ (l × l) has the squared singular values of B.
            let bt = q.withUnsafeBufferPointer {
                DenseKernels.multiplyTransposed(xc, $0, n: n, d: d, m: width, threads: workers)
            }
            var gram = [Double](repeating: 0, count: width * width)
            for t in 0..<d {
                for a in 0..<width {
                    let v = Double(bt[t * width + a])
                    for b in a..<width { gram[a * width + b] += v * Double(bt[t * width + b]) }
                }
            }
            for a in 0..<width { for b in 0..<a { gram[a * width + b] = gram[b * width + a] } }
            let (values, vectors) = SymmetricEigen.decompose(gram, size: width)
            let m = components
            var directions = [Float](repeating: 0, count: m * d)
            var scores = [Float](repeating: 0, count: n * m)
            var variance = [Double](repeating: 0, count: m)
            for c in 0..<m {
                let sigma = max(values[c], 0).squareRoot()
                variance[c] = max(values[c], 0) / Double(max(n - 1, 1))
                // v_c = Bᵀ u_c / σ_c; scores_c = Q u_c σ_c.
                var direction = [Double](repeating: 0, count: d)
                for t in 0..<d {
                    var s = 0.0
                    for a in 0..<width { s += Double(bt[t * width + a]) * vectors[a * width + c] }
                    direction[t] = sigma > 0 ? s / sigma : 0
                }
                var largest = 0
                for t in 0..<d where abs(direction[t]) > abs(direction[largest]) { largest = t }
                let sign: Double = direction[largest] < 0 ? -1 : 1
                for t in 0..<d { directions[c * d + t] = Float(sign * direction[t]) }
                for i in 0..<n {
                    var s = 0.0
                    for a in 0..<width { s += Double(q[i * width + a]) * vectors[a * width + c] }
                    scores[i * m + c] = Float(sign * s * sigma)
                }
            }
            return Result(count: m, mean: mean, directions: directions, explainedVariance: variance, scores: scores)
        }
    }

    /// Orthonormalises the columns of a rows × columns matrix (modified Gram–Schmidt, twice, in Double).
    /// A column that vanishes is left at zero.
    func orthonormalColumns(_ a: [Float], rows: Int, columns: Int) -> [Float] {
        var cols = (0..<columns).map { c in (0..<rows).map { Double(a[$0 * columns + c]) } }
        for _ in 0..<2 {
            for c in 0..<columns {
                for p in 0..<c {
                    var dot = 0.0
                    for r in 0..<rows { dot += cols[p][r] * cols[c][r] }
                    for r in 0..<rows { cols[c][r] -= dot * cols[p][r] }
                }
                var norm = 0.0
                for r in 0..<rows { norm += cols[c][r] * cols[c][r] }
                norm = norm.squareRoot()
                let scale = norm > 1e-30 ? 1 / norm : 0
                for r in 0..<rows { cols[c][r] *= scale }
            }
        }
        var out = [Float](repeating: 0, count: rows * columns)
        for c in 0..<columns { for r in 0..<rows { out[r * columns + c] = Float(cols[c][r]) } }
        return out
    }
}

/// Eigen-decomposition of a small dense symmetric matrix by cyclic Jacobi rotations.
enum SymmetricEigen {
    /// Eigenvalues in decreasing order and the eigenvectors as the columns of a size × size row-major matrix.
    static func decompose(_ matrix: [Double], size n: Int) -> (values: [Double], vectors: [Double]) {
        var a = matrix
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        var scale = 0.0
        for x in a { scale += x * x }
        for _ in 0..<100 {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<max(n, p + 1) { off += a[p * n + q] * a[p * n + q] } }
            if off <= 1e-30 * max(scale, 1e-300) { break }
            for p in 0..<n {
                for q in (p + 1)..<max(n, p + 1) where a[p * n + q] != 0 {
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot()
                    let s = t * c
                    for k in 0..<n {
                        let akp = a[k * n + p]
                        let akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p * n + k]
                        let aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * n + p]
                        let vkq = v[k * n + q]
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let order = (0..<n).sorted { a[$0 * n + $0] > a[$1 * n + $1] }
        let values = order.map { a[$0 * n + $0] }
        var vectors = [Double](repeating: 0, count: n * n)
        for (newColumn, old) in order.enumerated() { for k in 0..<n { vectors[k * n + newColumn] = v[k * n + old] } }
        return (values, vectors)
    }
}
