import Determinism
import Testing

@testable import Clustering

/// One case of `Fixtures/dec.json` (PyTorch float64 forward and autograd).
struct DECCase: Decodable {
    struct Reduced: Decodable {
        let loss: Double
        let grad_z: [Double]
        let grad_mu: [Double]
    }
    let n: Int, k: Int, d: Int
    let alpha: Double
    let z: [Double], mu: [Double], q: [Double], p: [Double]
    let batchmean: Reduced
    let sum: Reduced
}

struct DECFixture: Decodable { let cases: [DECCase] }

@Suite struct DECObjectiveTests {
    let cases: [DECCase]

    init() throws { cases = try loadFixture("dec", as: DECFixture.self).cases }

    @Test func softAssignmentAndTargetMatchPyTorch() throws {
        #expect(cases.count >= 4)
        #expect(cases.contains { $0.alpha != 1 })
        for c in cases {
            let z = c.z.map(Float.init)
            let mu = c.mu.map(Float.init)
            let q = try DECObjective.softAssignment(
                embeddings: z, centres: mu, n: c.n, k: c.k, d: c.d,
                alpha: Float(c.alpha))
            #expect(close(q, c.q, relative: 1e-4), "q, alpha \(c.alpha)")
            let p = try DECObjective.targetDistribution(q: q, n: c.n, k: c.k)
            #expect(close(p, c.p, relative: 1e-4), "p, alpha \(c.alpha)")
        }
    }

    @Test(arguments: DECObjective.Reduction.allCases)
    func lossAndGradientsMatchPyTorchAutograd(reduction: DECObjective.Reduction) throws {
        for c in cases {
            let expected = reduction == .batchmean ? c.batchmean : c.sum
            let e = try DECObjective.lossAndGradients(
                embeddings: c.z.map(Float.init), centres: c.mu.map(Float.init), target: c.p.map(Float.init),
                n: c.n, k: c.k, d: c.d, alpha: Float(c.alpha), reduction: reduction)
            let scale = c.batchmean.grad_z.map(abs).max() ?? 1
            #expect(abs(Double(e.loss) - expected.loss) <= 1e-4 * abs(expected.loss), "loss, alpha \(c.alpha)")
            #expect(close(e.gradientEmbeddings, expected.grad_z, relative: 1e-4, floor: scale), "∂z, alpha \(c.alpha)")
            #expect(close(e.gradientCentres, expected.grad_mu, relative: 1e-4, floor: scale), "∂μ, alpha \(c.alpha)")
            let kl = try DECObjective.klDivergence(
                target: c.p.map(Float.init), q: e.q, n: c.n, k: c.k,
                reduction: reduction)
            #expect(abs(Double(kl) - expected.loss) <= 1e-4 * abs(expected.loss))
        }
    }

    @Test(arguments: [Float(1), 0.6, 3])
    func gradientsMatchFiniteDifferences(alpha: Float) throws {
        let n = 5
        let k = 3
        let d = 4
        var rng = SeededGenerator(seed: 11)
        let z = (0..<(n * d)).map { _ in rng.nextGaussian() }
        let mu = (0..<(k * d)).map { _ in 1.5 * rng.nextGaussian() }
        let q0 = try DECObjective.softAssignment(embeddings: z, centres: mu, n: n, k: k, d: d, alpha: alpha)
        let p = try DECObjective.targetDistribution(q: q0, n: n, k: k)
        let e = try DECObjective.lossAndGradients(
            embeddings: z, centres: mu, target: p, n: n, k: k, d: d,
            alpha: alpha, reduction: .sum)
        func loss(_ z: [Float], _ mu: [Float]) throws -> Double {
            Double(
                try DECObjective.lossAndGradients(
                    embeddings: z, centres: mu, target: p, n: n, k: k, d: d,
                    alpha: alpha, reduction: .sum
                ).loss)
        }
        let h: Float = 1e-2
        for t in 0..<(n * d) {
            var plus = z
            var minus = z
            plus[t] += h
            minus[t] -= h
            let numeric = (try loss(plus, mu) - loss(minus, mu)) / Double(plus[t] - minus[t])
            #expect(abs(numeric - Double(e.gradientEmbeddings[t])) < 2e-3, "∂z[\(t)]")
        }
        for t in 0..<(k * d) {
            var plus = mu
            var minus = mu
            plus[t] += h
            minus[t] -= h
            let numeric = (try loss(z, plus) - loss(z, minus)) / Double(plus[t] - minus[t])
            #expect(abs(numeric - Double(e.gradientCentres[t])) < 2e-3, "∂μ[\(t)]")
        }
    }

    @Test func farPointsKeepAProperDistribution() throws {
        let q = try DECObjective.softAssignment(
            embeddings: [1e18, 0], centres: [0, 0, 1, 0], n: 1, k: 2, d: 2,
            alpha: 0.5)
        #expect(q.allSatisfy { $0.isFinite })
        #expect(abs(q[0] + q[1] - 1) < 1e-6)
    }

    @Test func hardAssignmentsAndLabelChanges() throws {
        let q: [Float] = [0.7, 0.3, 0.2, 0.8, 0.5, 0.5]
        #expect(try DECObjective.hardAssignments(q: q, n: 3, k: 2) == [0, 1, 0])
        #expect(try DECObjective.labelChangeFraction(previous: [0, 1, 0, 2], current: [0, 1, 1, 0]) == 0.5)
        #expect(try DECObjective.labelChangeFraction(previous: [3], current: [3]) == 0)
        #expect(throws: ClusteringError.self) { try DECObjective.labelChangeFraction(previous: [0], current: [0, 1]) }
    }

    @Test func rejectsBadInput() {
        #expect(throws: ClusteringError.shapeMismatch(name: "cluster centres μ", expected: 4, actual: 3)) {
            try DECObjective.softAssignment(embeddings: [0, 0], centres: [0, 0, 1], n: 1, k: 2, d: 2)
        }
        #expect(throws: ClusteringError.nonFinite(name: "embeddings z", row: 1, column: 0)) {
            try DECObjective.softAssignment(embeddings: [0, 0, .nan, 0], centres: [0, 0], n: 2, k: 1, d: 2)
        }
        #expect(throws: ClusteringError.self) {
            try DECObjective.softAssignment(embeddings: [0, 0], centres: [0, 0], n: 1, k: 1, d: 2, alpha: 0)
        }
    }
}
