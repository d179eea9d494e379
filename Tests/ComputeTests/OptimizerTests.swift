import Determinism
import Foundation
import Parallelism
import Testing

@testable import Compute

/// Five steps of each optimizer on a fixed parameter and gradient sequence match PyTorch (≤ 1e-5 relative),
/// and so does the update itself (≤ 1e-3 relative: the update is small against the parameter, so an error in
/// it, such as a missing weight decay, can hide under the parameter's tolerance).
@Suite("Optimizers match PyTorch")
struct OptimizerTests {
    enum Kind: String, CaseIterable { case sgd, sgd_momentum, sgd_nesterov, adam, adamw, adadelta, adadelta_wd, adam_l2 }

    func make(_ kind: Kind, _ p: [Parameter]) -> any Optimizer {
        switch kind {
        case .sgd: return SGD(p, lr: 0.1)
        case .sgd_momentum: return SGD(p, lr: 0.1, momentum: 0.9, weightDecay: 1e-2)
        case .sgd_nesterov: return SGD(p, lr: 0.05, momentum: 0.9, weightDecay: 1e-3, nesterov: true)
        case .adam: return Adam(p, lr: 1e-2, weightDecay: 1e-3)
        case .adamw: return Adam.adamW(p, lr: 1e-2, weightDecay: 1e-2)
        case .adadelta: return Adadelta(p, lr: 0.1, weightDecay: 1e-3)
        case .adadelta_wd: return Adadelta(p, lr: 1.0, weightDecay: 0.1)
        case .adam_l2: return Adam(p, lr: 1e-2, weightDecay: 0.1)
        }
    }

    @Test(arguments: Kind.allCases)
    func fiveSteps(_ kind: Kind) throws {
        let p = Parameter(try Fixtures.tensor("opt.w0"))
        let grads = try Fixtures.values("opt.grads")
        let opt = make(kind, [p])
        for s in 0..<5 {
            p.grad = try Tensor(shape: [12], values: Array(grads[(s * 12)..<(s * 12 + 12)]))
            try opt.step()
        }
        let expected = try Fixtures.values("opt.\(kind.rawValue)")
        expectClose(p.value.toArray(), expected, tolerance: 1e-5, kind.rawValue)
        let w0 = try Fixtures.values("opt.w0")
        expectClose(
            zip(p.value.toArray(), w0).map { $0 - $1 }, zip(expected, w0).map { $0 - $1 }, tolerance: 1e-3,
            "\(kind.rawValue) update")
        #expect(p.version == 5)
    }

    /// The branch-free loops (SGD with momentum and no weight decay, with dampening; Adam without weight decay)
    /// against PyTorch's update rules written out in Float64 here.
    @Test func fastPathsFollowTheUpdateRules() throws {
        let w0 = try Fixtures.values("opt.w0").map(Double.init)
        let grads = try Fixtures.values("opt.grads").map(Double.init)
        func g(_ s: Int) -> ArraySlice<Double> { grads[(s * 12)..<(s * 12 + 12)] }

        let p = Parameter(try Fixtures.tensor("opt.w0"))
        let sgd = SGD([p], lr: 0.1, momentum: 0.9, dampening: 0.25)
        var w = w0
        var buf = [Double](repeating: 0, count: 12)
        for s in 0..<5 {
            p.grad = try Tensor(shape: [12], values: g(s).map(Float.init))
            try sgd.step()
            for (i, d) in g(s).enumerated() {
                buf[i] = s == 0 ? d : 0.9 * buf[i] + 0.75 * d
                w[i] -= 0.1 * buf[i]
            }
        }
        expectClose(p.value.toArray(), w.map(Float.init), tolerance: 1e-5, "sgd dampening")

        let q = Parameter(try Fixtures.tensor("opt.w0"))
        let adam = Adam([q], lr: 1e-2)
        var v = w0
        var m = [Double](repeating: 0, count: 12)
        var sq = m
        for s in 0..<5 {
            q.grad = try Tensor(shape: [12], values: g(s).map(Float.init))
            try adam.step()
            let t = Double(s + 1)
            for (i, d) in g(s).enumerated() {
                m[i] = 0.9 * m[i] + 0.1 * d
                sq[i] = 0.999 * sq[i] + 0.001 * d * d
                let denom = sq[i].squareRoot() / (1 - pow(0.999, t)).squareRoot() + 1e-8
                v[i] -= 1e-2 / (1 - pow(0.9, t)) * m[i] / denom
            }
        }
        expectClose(q.value.toArray(), v.map(Float.init), tolerance: 1e-5, "adam")
    }

    @Test func stateRoundTripsAndResumesIdentically() throws {
        let grads = try Fixtures.values("opt.grads")
        func grad(_ s: Int) throws -> Tensor { try Tensor(shape: [12], values: Array(grads[(s * 12)..<(s * 12 + 12)])) }
        let a = Parameter(try Fixtures.tensor("opt.w0"))
        let optA = Adam([a], lr: 1e-2)
        for s in 0..<5 {
            a.grad = try grad(s)
            try optA.step()
        }

        let b = Parameter(try Fixtures.tensor("opt.w0"))
        let optB = Adam([b], lr: 1e-2)
        for s in 0..<2 {
            b.grad = try grad(s)
            try optB.step()
        }
        let (state, steps) = optB.stateDict()
        let c = Parameter(b.value.copy())
        let optC = Adam([c], lr: 1e-2)
        try optC.loadState(tensors: Dictionary(uniqueKeysWithValues: state), steps: steps)
        for s in 2..<5 {
            c.grad = try grad(s)
            try optC.step()
        }
        #expect(c.value.toArray() == a.value.toArray())
    }

    /// The fixture's optimizers and the fast paths' other branches (no weight decay).
    static let threadedKinds: [String] = Kind.allCases.map(\.rawValue) + ["sgd_plain_momentum", "adam_plain"]

    func make(_ name: String, _ p: [Parameter]) -> any Optimizer {
        switch name {
        case "sgd_plain_momentum": return SGD(p, lr: 0.1, momentum: 0.9, dampening: 0.25)
        case "adam_plain": return Adam(p, lr: 1e-2)
        default: return make(Kind(rawValue: name)!, p)
        }
    }

    /// Large parameters are updated on several threads (`ParallelFor`); every update is elementwise, so one
    /// large parameter ends bit-identical to the same values split into small parameters updated serially.
    /// Four steps of each kind (SGD's momentum fast path starts at the second).
    @Test(arguments: threadedKinds)
    func largeParametersUpdateOnThreadsAsSerially(_ kind: String) throws {
        let pieces = 8
        let pieceSize = 3 * ParallelFor.grain / 4 + 5  // each piece below the grain: serial
        let n = pieces * pieceSize  // the whole: several slices where there are threads
        var rng = SeededGenerator(seed: 31)
        let w0 = Tensor.randomNormal([n], using: &rng).toArray()
        let large = Parameter(try Tensor(shape: [n], values: w0))
        let small = try (0..<pieces).map { Parameter(try Tensor(shape: [pieceSize], values: Array(w0[($0 * pieceSize)..<(($0 + 1) * pieceSize)]))) }
        let optLarge = make(kind, [large])
        let optSmall = make(kind, small)
        for _ in 0..<4 {
            let g = Tensor.randomNormal([n], using: &rng).toArray()
            large.grad = try Tensor(shape: [n], values: g)
            for (i, p) in small.enumerated() { p.grad = try Tensor(shape: [pieceSize], values: Array(g[(i * pieceSize)..<((i + 1) * pieceSize)])) }
            try optLarge.step()
            try optSmall.step()
        }
        #expect(large.value.toArray() == small.flatMap { $0.value.toArray() }, "\(kind)")
    }

    /// A learning-rate scale is a parameter group with its own `lr`: the scaled parameter moves exactly as under an
    /// optimizer with that rate, the others as before (AdamW: the decoupled decay scales with it too); optimizers
    /// with a single rate refuse a scale other than 1.
    @Test func learningRateScaleActsAsAParameterGroup() throws {
        var rng = SeededGenerator(seed: 9)
        let start = (0..<2).map { _ in Tensor.randomNormal([6], using: &rng) }
        let gradients = (0..<3).map { _ in (0..<2).map { _ in Tensor.randomNormal([6], using: &rng) } }
        func train(lr: Float, scale: Float?) throws -> [[Float]] {
            let params = start.map { Parameter($0.copy()) }
            let adam = Adam.adamW(params, lr: lr, weightDecay: 0.1)
            if let scale { try adam.setLearningRateScale(scale, for: [params[0]]) }
            for step in gradients {
                for (p, g) in zip(params, step) {
                    p.zeroGrad()
                    try p.accumulate(g.copy())
                }
                try adam.step()
            }
            return params.map { $0.value.toArray() }
        }
        let grouped = try train(lr: 0.01, scale: 0.5)
        #expect(grouped[0] == (try train(lr: 0.01 * 0.5, scale: nil))[0])
        #expect(grouped[1] == (try train(lr: 0.01, scale: nil))[1])
        #expect(grouped[0] != (try train(lr: 0.01, scale: nil))[0])
        let p = Parameter(Tensor.zeros([2]))
        #expect(throws: ComputeError.self) { try SGD([p], lr: 0.1).setLearningRateScale(0.1, for: [p]) }
        #expect(throws: Never.self) { try SGD([p], lr: 0.1).setLearningRateScale(1, for: [p]) }
    }

    @Test func nonFiniteGradientIsRefusedAndParameterUntouched() throws {
        let p = Parameter(try Tensor(shape: [3], values: [1, 2, 3]))
        p.grad = try Tensor(shape: [3], values: [0.1, .nan, 0.2])
        let opt = SGD([p], lr: 0.1)
        #expect(throws: ComputeError.self) { try opt.step() }
        #expect(p.value.toArray() == [1, 2, 3])
    }

    @Test func nesterovWithoutMomentumStopsAsInPyTorch() async {
        await #expect(processExitsWith: .failure) {
            _ = SGD([Parameter(Tensor.zeros([1]))], lr: 0.1, momentum: 0, nesterov: true)
        }
        await #expect(processExitsWith: .success) {
            _ = SGD([Parameter(Tensor.zeros([1]))], lr: 0.1, momentum: 0.9, nesterov: true)
        }
    }

    @Test func nonFiniteGradientIsNamedByItsStateDictName() throws {
        var rng = SeededGenerator(seed: 0)
        let net = Sequential([Conv2d(ConvGeometry(inChannels: 1, outChannels: 2, kernel: 1), rng: &rng), BatchNorm2d(2)])
        let opt = SGD(net.parameters, lr: 0.1)
        let gamma = try #require(net.namedParameters().first { $0.0 == "1.weight" }?.1)
        gamma.grad = try Tensor(shape: [2], values: [0.5, .infinity])
        let error = #expect(throws: ComputeError.self) { try opt.step() }
        #expect(error?.message.contains("'1.weight' (shape [2])") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("inf") == true)
        // A listing from further out names it more fully; one from inside does not undo that.
        _ = net.namedParameters(prefix: "encoder.")
        _ = net.layers[1].1.namedParameters()
        #expect(gamma.label == "encoder.1.weight")
    }
}
