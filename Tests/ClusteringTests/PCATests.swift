import Determinism
import Testing

@testable import Clustering

@Suite struct PCATests {
    /// Data with decaying variance along random orthogonal-ish directions plus small noise.
    func sample(n: Int, d: Int, seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        let basis = (0..<(4 * d)).map { _ in rng.nextGaussian() }
        var x = [Float](repeating: 0, count: n * d)
        for i in 0..<n {
            let weights: [Float] = [8, 4, 2, 1].map { $0 * rng.nextGaussian() }
            for t in 0..<d {
                var v: Float = 3 + 0.05 * rng.nextGaussian()
                for c in 0..<4 { v += weights[c] * basis[c * d + t] }
                x[i * d + t] = v
            }
        }
        return x
    }

    @Test func matchesTheCovarianceEigenDecomposition() throws {
        let n = 120
        let d = 24
        let x = sample(n: n, d: d, seed: 4)
        let pca = try PCA(components: 3, seed: 1).fit(x, n: n, d: d)
        // Reference: covariance eigenvalues via Jacobi.
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for t in 0..<d { mean[t] += Double(x[i * d + t]) / Double(n) } }
        var cov = [Double](repeating: 0, count: d * d)
        for i in 0..<n {
            for a in 0..<d {
                for b in 0..<d {
                    cov[a * d + b] += (Double(x[i * d + a]) - mean[a]) * (Double(x[i * d + b]) - mean[b]) / Double(n - 1)
                }
            }
        }
        let (values, vectors) = SymmetricEigen.decompose(cov, size: d)
        for c in 0..<3 {
            #expect(abs(pca.explainedVariance[c] - values[c]) < 1e-3 * values[0], "variance \(c)")
            var dot = 0.0
            for t in 0..<d { dot += Double(pca.directions[c * d + t]) * vectors[t * d + c] }
            #expect(abs(abs(dot) - 1) < 1e-3, "direction \(c)")
        }
        // Scores are the centred data projected on the directions.
        for i in [0, 17, 119] {
            for c in 0..<3 {
                var s = 0.0
                for t in 0..<d { s += (Double(x[i * d + t]) - mean[t]) * Double(pca.directions[c * d + t]) }
                #expect(abs(s - Double(pca.scores[i * 3 + c])) < 1e-3 * values[0].squareRoot())
            }
        }
    }

    @Test func jacobiReconstructsTheMatrix() {
        let a: [Double] = [4, 1, 2, 1, 3, 0.5, 2, 0.5, 5]
        let (values, vectors) = SymmetricEigen.decompose(a, size: 3)
        #expect(values[0] >= values[1] && values[1] >= values[2])
        for r in 0..<3 {
            for c in 0..<3 {
                var v = 0.0
                for k in 0..<3 { v += vectors[r * 3 + k] * values[k] * vectors[c * 3 + k] }
                #expect(abs(v - a[r * 3 + c]) < 1e-10)
            }
        }
    }

    @Test func rejectsTooManyComponents() {
        #expect(throws: ClusteringError.self) { try PCA(components: 5).fit([1, 2, 3, 4, 5, 6], n: 2, d: 3) }
    }
}
