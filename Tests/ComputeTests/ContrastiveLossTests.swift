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
        try expectFiniteDifferences(z, gradient, at: [0, 5, 13, 23]) { try ContrastiveLosses.ntXent($0, pairs: n, dimension: d, temperature: tau).loss }
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

    @Test func byolLossMatchesPyTorchAndFiniteDifferences() throws {
        let (n, d) = (5, 7)
        let p = try values("byol.p")
        let z = try values("byol.z")
        let (loss, gradient) = try ContrastiveLosses.byol(predictions: p, targets: z, pairs: n, dimension: d)
        #expect(abs(loss - (try values("byol.loss")[0])) <= 1e-5 * max(1, abs(loss)), "\(loss)")
        expectClose(gradient, try values("byol.gp"), "BYOL gradient")
        try expectFiniteDifferences(p, gradient, at: [0, 9, 33, 69]) { try ContrastiveLosses.byol(predictions: $0, targets: z, pairs: n, dimension: d).loss }
        #expect(throws: ComputeError.self) { try ContrastiveLosses.byol(predictions: p, targets: Array(z.dropLast()), pairs: n, dimension: d) }
    }

    @Test func movingAverageAndMomentumScheduleMatchPyTorch() throws {
        let target = Parameter(try Tensor(shape: [3, 4], values: try values("ema.target")))
        let online = Parameter(try Tensor(shape: [3, 4], values: try values("ema.online")))
        let before = target.version
        try MovingAverage.update(target: [target], online: [online], momentum: 0.99)
        expectClose(target.value.toArray(), try values("ema.updated"), "moving average")
        #expect(target.version != before, "cached layouts of the target must see the change")
        #expect(online.value.toArray() == (try values("ema.online")))
        let schedule = [0, 10, 20, 40].map { MovingAverage.momentum(base: 0.99, step: $0, totalSteps: 40) }
        expectClose(schedule, try values("ema.schedule"), "momentum schedule")
        let other = Parameter(Tensor.zeros([4, 3]))
        #expect(throws: ComputeError.self) { try MovingAverage.update(target: [target], online: [other], momentum: 0.99) }
        #expect(throws: ComputeError.self) { try MovingAverage.update(target: [target], online: [online], momentum: 1.5) }
    }

    @Test func batchNorm1dMatchesPyTorch() throws {
        let bn = BatchNorm1d(5)
        try bn.norm.weight.assign(Tensor(shape: [5], values: try values("bn1d.weight")))
        try bn.norm.bias.assign(Tensor(shape: [5], values: try values("bn1d.bias")))
        let y = try bn.forward(Tensor(shape: [8, 5], values: try values("bn1d.x")))
        #expect(y.shape == [8, 5])
        expectClose(y.toArray(), try values("bn1d.y"), "BatchNorm1d forward")
        expectClose(bn.norm.runningMean.toArray(), try values("bn1d.running_mean"), "running mean")
        expectClose(bn.norm.runningVar.toArray(), try values("bn1d.running_var"), "running variance")
        let gx = try bn.backward(Tensor(shape: [8, 5], values: try values("bn1d.gy")))
        expectClose(gx.toArray(), try values("bn1d.gx"), "BatchNorm1d input gradient")
        expectClose(try #require(bn.norm.weight.grad).toArray(), try values("bn1d.gweight"), "γ gradient")
        expectClose(try #require(bn.norm.bias.grad).toArray(), try values("bn1d.gbias"), "β gradient")
        #expect(bn.namedParameters().map(\.0) == ["weight", "bias"])
        #expect(throws: ComputeError.self) { try bn.forward(Tensor.zeros([8, 4])) }
    }

    @Test func selfLabellingLossMatchesPyTorch() throws {
        let targets = try values("selflabel.targets").map { Int($0) }
        let weights = ContrastiveLosses.balancingWeights(targets, k: 3)
        expectClose(weights, try values("selflabel.weights"), "balancing weights")
        let (loss, gradient) = try ContrastiveLosses.weightedCrossEntropy(logits: try values("selflabel.logits"), targets: targets, k: 3, classWeights: weights)
        #expect(abs(loss - (try values("selflabel.loss")[0])) <= 1e-5 * max(1, abs(loss)), "\(loss)")
        expectClose(gradient, try values("selflabel.glogits"), "cross-entropy gradient")
        #expect(ContrastiveLosses.balancingWeights([1, 1], k: 3) == [1, 1, 1])
        #expect(throws: ComputeError.self) {
            try ContrastiveLosses.weightedCrossEntropy(logits: [0, 0, 0], targets: [3], k: 3, classWeights: [1, 1, 1])
        }
    }

    /// Central differences (step 1e-2) of `loss` at the indices `at` of `x` agree with `gradient` within 2 %.
    func expectFiniteDifferences(_ x: [Float], _ gradient: [Float], at indices: [Int], _ loss: ([Float]) throws -> Float) throws {
        for i in indices {
            var plus = x
            var minus = x
            plus[i] += 1e-2
            minus[i] -= 1e-2
            let numeric = (try loss(plus) - loss(minus)) / 2e-2
            #expect(abs(numeric - gradient[i]) <= 0.02 * max(abs(numeric), 0.05), "x[\(i)]: \(numeric) vs \(gradient[i])")
        }
    }
}
