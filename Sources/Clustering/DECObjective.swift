/// The clustering objective of Deep Embedded Clustering (Xie, Girshick & Farhadi 2016, arXiv 1511.06335) on plain
/// row-major matrices: embeddings z (n × d), centres μ (k × d), soft assignments q and targets p (n × k).
///
/// Numerics follow the PyTorch formulation: `q` from a Student's t kernel, `p` from `q`, and the loss
/// `F.kl_div(q.log(), p, reduction:)` with `p` held constant. Sums run in Double; results are Float.
public enum DECObjective {
    /// How the KL loss is reduced, as in PyTorch's `F.kl_div`.
    public enum Reduction: String, Sendable, Codable, CaseIterable {
        /// Σ p·(log p − log q) / n.
        case batchmean
        /// Σ p·(log p − log q).
        case sum
    }

    /// Loss and gradients of KL(P‖Q) for fixed P.
    public struct Evaluation: Sendable, Equatable {
        /// The loss under the chosen reduction.
        public var loss: Float
        /// Soft assignments q, n × k.
        public var q: [Float]
        /// ∂loss/∂z, n × d.
        public var gradientEmbeddings: [Float]
        /// ∂loss/∂μ, k × d.
        public var gradientCentres: [Float]
    }

    /// Student's t soft assignment q_ij ∝ (1 + ‖z_i − μ_j‖²/α)^(−(α+1)/2), each row summing to 1.
    /// - Parameters: embeddings n × d, centres k × d, `alpha` > 0 (degrees of freedom, 1 in DEC).
    /// - Returns: q, n × k row-major.
    public static func softAssignment(
        embeddings: [Float], centres: [Float], n: Int, k: Int, d: Int,
        alpha: Float = 1
    ) throws -> [Float] {
        try validate(embeddings: embeddings, centres: centres, n: n, k: k, d: d, alpha: alpha)
        return kernel(embeddings, centres, n: n, k: k, d: d, alpha: Double(alpha)).q.map(Float.init)
    }

    /// The target distribution p_ij = (q_ij² / f_j) / Σ_j' (q_ij'² / f_j'), f_j = Σ_i q_ij.
    /// - Parameter q: soft assignments, n × k.
    /// - Returns: p, n × k.
    public static func targetDistribution(q: [Float], n: Int, k: Int) throws -> [Float] {
        try validateMatrix(q, rows: n, columns: k, name: "soft assignments q")
        var frequency = [Double](repeating: 0, count: k)
        for i in 0..<n { for j in 0..<k { frequency[j] += Double(q[i * k + j]) } }
        var p = [Float](repeating: 0, count: n * k)
        var row = [Double](repeating: 0, count: k)
        for i in 0..<n {
            var total = 0.0
            for j in 0..<k {
                let qij = Double(q[i * k + j])
                row[j] = frequency[j] > 0 ? qij * qij / frequency[j] : 0
                total += row[j]
            }
            for j in 0..<k { p[i * k + j] = total > 0 ? Float(row[j] / total) : 0 }
        }
        return p
    }

    /// KL(P‖Q) = Σ p·(log p − log q) as `F.kl_div(q.log(), p, reduction:)`; terms with p = 0 contribute 0.
    public static func klDivergence(
        target p: [Float], q: [Float], n: Int, k: Int,
        reduction: Reduction = .batchmean
    ) throws -> Float {
        try validateMatrix(p, rows: n, columns: k, name: "target distribution p")
        try validateMatrix(q, rows: n, columns: k, name: "soft assignments q")
        var total = 0.0
        for t in 0..<(n * k) where p[t] > 0 {
            total += Double(p[t]) * (_clusteringLog(Double(p[t])) - _clusteringLog(Double(q[t])))
        }
        return Float(reduction == .batchmean ? total / Double(n) : total)
    }

    /// The loss and its exact gradients with respect to the embeddings and the centres, with `target` constant
    /// (what PyTorch autograd gives for `F.kl_div(q.log(), p.detach(), reduction:)`):
    /// ∂L/∂z_i = s·(α+1)/α · Σ_j (p_ij − q_ij·P_i)(z_i − μ_j) / t_ij and ∂L/∂μ_j = −s·(α+1)/α · Σ_i (same term),
    /// with t_ij = 1 + ‖z_i − μ_j‖²/α, P_i = Σ_j p_ij and s = 1/n for `batchmean`, 1 for `sum`.
    public static func lossAndGradients(
        embeddings z: [Float], centres mu: [Float], target p: [Float],
        n: Int, k: Int, d: Int, alpha: Float = 1,
        reduction: Reduction = .batchmean
    ) throws -> Evaluation {
        try validate(embeddings: z, centres: mu, n: n, k: k, d: d, alpha: alpha)
        try validateMatrix(p, rows: n, columns: k, name: "target distribution p")
        let a = Double(alpha)
        let (q, t) = kernel(z, mu, n: n, k: k, d: d, alpha: a)
        let scale = reduction == .batchmean ? 1 / Double(n) : 1
        var loss = 0.0
        var coefficients = [Double](repeating: 0, count: n * k)
        for i in 0..<n {
            var rowP = 0.0
            for j in 0..<k { rowP += Double(p[i * k + j]) }
            for j in 0..<k {
                let pij = Double(p[i * k + j])
                if pij > 0 { loss += pij * (_clusteringLog(pij) - _clusteringLog(q[i * k + j])) }
                coefficients[i * k + j] = scale * (a + 1) / a * (pij - q[i * k + j] * rowP) / t[i * k + j]
            }
        }
        let (gz, gmu) = accumulateGradients(z, mu, coefficients, n: n, k: k, d: d)
        return Evaluation(
            loss: Float(loss * scale), q: q.map(Float.init), gradientEmbeddings: gz,
            gradientCentres: gmu)
    }

    /// Hard assignment: the most probable cluster of each row of q (n × k); ties go to the lower index.
    public static func hardAssignments(q: [Float], n: Int, k: Int) throws -> [Int] {
        try validateMatrix(q, rows: n, columns: k, name: "soft assignments q")
        return (0..<n).map { i in
            var best = 0
            for j in 1..<max(k, 1) where q[i * k + j] > q[i * k + best] { best = j }
            return best
        }
    }

    /// Fraction of points whose label differs between two assignments (DEC's `--tol` stopping rule), 0...1.
    public static func labelChangeFraction(previous: [Int], current: [Int]) throws -> Double {
        try ClusteringMetrics.checkPaired(previous, current)
        var changed = 0
        for (a, b) in zip(previous, current) where a != b { changed += 1 }
        return Double(changed) / Double(current.count)
    }

    /// ∂z_i = Σ_j c_ij (z_i − μ_j) (Float; k terms) and ∂μ_j = −Σ_i c_ij (z_i − μ_j) (summed in Double over n rows).
    private static func accumulateGradients(
        _ z: [Float], _ mu: [Float], _ coefficients: [Double], n: Int, k: Int,
        d: Int
    ) -> (embeddings: [Float], centres: [Float]) {
        var gz = [Float](repeating: 0, count: n * d)
        var gmu = [Double](repeating: 0, count: k * d)
        z.withUnsafeBufferPointer { zb in
            mu.withUnsafeBufferPointer { mb in
                gz.withUnsafeMutableBufferPointer { gzb in
                    gmu.withUnsafeMutableBufferPointer { gmb in
                        let pz = zb.baseAddress!
                        let pm = mb.baseAddress!
                        let gzp = gzb.baseAddress!
                        let gmp = gmb.baseAddress!
                        for i in 0..<n {
                            let zi = pz + i * d
                            let gi = gzp + i * d
                            for j in 0..<k {
                                let c = coefficients[i * k + j]
                                let cf = Float(c)
                                let mj = pm + j * d
                                let gj = gmp + j * d
                                for t in 0..<d {
                                    let diff = zi[t] - mj[t]
                                    gi[t] += cf * diff
                                    gj[t] -= c * Double(diff)
                                }
                            }
                        }
                    }
                }
            }
        }
        return (gz, gmu.map(Float.init))
    }

    /// q (Double, n × k) and t_ij = 1 + ‖z_i − μ_j‖²/α.
    private static func kernel(
        _ z: [Float], _ mu: [Float], n: Int, k: Int, d: Int, alpha: Double
    )
        -> (q: [Double], t: [Double])
    {
        var q = [Double](repeating: 0, count: n * k)
        var t = [Double](repeating: 0, count: n * k)
        let exponent = -(alpha + 1) / 2
        var distances = [Float](repeating: 0, count: n * k)
        z.withUnsafeBufferPointer { zb in
            mu.withUnsafeBufferPointer { mb in
                for i in 0..<n {
                    for j in 0..<k {
                        distances[i * k + j] = DenseKernels.squaredDistance(
                            zb.baseAddress! + i * d,
                            mb.baseAddress! + j * d, d)
                    }
                }
            }
        }
        for i in 0..<n {
            var total = 0.0
            for j in 0..<k { t[i * k + j] = 1 + Double(distances[i * k + j]) / alpha }
            // Scale by the nearest centre's kernel so that far points cannot underflow every entry to 0.
            var nearest = Double.infinity
            for j in 0..<k { nearest = min(nearest, t[i * k + j]) }
            for j in 0..<k {
                let ratio = t[i * k + j] / nearest
                let v = alpha == 1 ? 1 / ratio : _clusteringPow(ratio, exponent)
                q[i * k + j] = v
                total += v
            }
            for j in 0..<k { q[i * k + j] /= total }
        }
        return (q, t)
    }

    private static func validate(embeddings: [Float], centres: [Float], n: Int, k: Int, d: Int, alpha: Float) throws {
        try validateMatrix(embeddings, rows: n, columns: d, name: "embeddings z")
        try validateMatrix(centres, rows: k, columns: d, name: "cluster centres μ")
        guard alpha > 0, alpha.isFinite else {
            throw ClusteringError.invalidParameter(name: "alpha", value: "\(alpha)", reason: "use a finite value > 0 (DEC uses 1)")
        }
    }
}
