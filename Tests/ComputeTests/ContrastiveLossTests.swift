import Determinism
import Foundation
import Testing

@testable import Compute

/// L2 normalisation, NT-Xent and the SCAN loss against PyTorch (`Scripts/make_contrastive_fixtures.py`) and,
/// for the gradients, against finite differences.
@Suite("Contrastive losses")
struct ContrastiveLossTests {
    static let fixtures = Fixtures.load("contrastive")

    func values(_ key: String) throws -> [Float] { try #require(Self.fixtures[key], "fixture \(key) missing").values }

    @Test func l2NormalisationMatchesPyTorch() throws {
        let x = try values("l2norm.x")
        let (n, d) = (6, 5)
        expectClose(ContrastiveLosses.l2Normalize(x, rows: n, columns: d), try values("l2norm.y"), "normalize")
        let gx = ContrastiveLosses.l2NormalizeBackward(x, gradient: try values("l2norm.gy"), rows: n, columns: d)
        expectClose(gx, try values("l2norm.gx"), "normalize backward")
    }

    @Test(arguments: [("ntxent", 4, 6), ("ntxent_cold", 8, 16)])
    func ntXentMatchesPyTorch(_ name: String, _ n: Int, _ d: Int) throws {
        let z = try values("\(name).z")
        let tau = try values("\(name).tau")[0]
        let (loss, gradient) = try ContrastiveLosses.ntXent(z, pairs: n, dimension: d, temperature: tau)
        #expect(abs(loss - (try values("\(name).loss")[0])) <= 1e-5 * max(1, abs(loss)), "\(loss)")
        expectClose(gradient, try values("\(name).gz"), "NT-Xent gradient")
    }

    @Test func ntXentGradientMatchesFiniteDifferences() throws {
        var rng = SeededGenerator(seed: 4)
        let (n, d, tau): (Int, Int, Float) = (3, 4, 0.3)
        let z = (0..<(2 * n * d)).map { _ in Float(rng.nextGaussian()) }
        let (_, gradient) = try ContrastiveLosses.ntXent(z, pairs: n, dimension: d, temperature: tau)
        for i in [0, 5, 13, 23] {
            var plus = z, minus = z
            plus[i] += 1e-2; minus[i] -= 1e-2
            let numeric = (try ContrastiveLosses.ntXent(plus, pairs: n, dimension: d, temperature: tau).loss
                - ContrastiveLosses.ntXent(minus, pairs: n, dimension: d, temperature: tau).loss) / 2e-2
            #expect(abs(numeric - gradient[i]) <= 0.02 * max(abs(numeric), 0.05), "z[\(i)]: \(numeric) vs \(gradient[i])")
        }
        #expect(throws: ComputeError.self) { try ContrastiveLosses.ntXent(z, pairs: n, dimension: d, temperature: 0) }
    }

    @Test func scanLossMatchesPyTorch() throws {
        let (n, k) = (10, 4)
        let r = try ContrastiveLosses.scan(logits: try values("scan.logits"), neighbourLogits: try values("scan.neighbours"), n: n, k: k, entropyWeight: 5)
        #expect(abs(r.loss - (try values("scan.loss")[0])) <= 1e-5 * max(1, abs(r.loss)))
        #expect(abs(r.consistency - (try values("scan.consistency")[0])) <= 1e-5)
        #expect(abs(r.entropy - (try values("scan.entropy")[0])) <= 1e-5)
        expectClose(r.gradient, try values("scan.glogits"), "SCAN gradient (anchors)")
        expectClose(r.neighbourGradient, try values("scan.gneighbours"), "SCAN gradient (neighbours)")
    }
}
