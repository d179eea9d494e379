import Determinism
import Testing

@testable import Compute

/// A residual block, built from the layers, in training mode (forward, input and parameter gradients)
/// against PyTorch; and finite-difference checks of composite paths.
@Suite("Composite paths")
struct CompositeTests {
    final class Block: Layer {
        var isTraining = true
        let conv1: Conv2d, bn1 = BatchNorm2d(8), relu1 = ActivationLayer(.relu)
        let conv2: Conv2d, bn2 = BatchNorm2d(8)
        let down: Sequential
        let relu = ActivationLayer(.relu)

        init() {
            var rng = SeededGenerator(seed: 3)
            conv1 = Conv2d(ConvGeometry(inChannels: 4, outChannels: 8, kernel: 3, stride: 2, padding: 1), rng: &rng)
            conv2 = Conv2d(ConvGeometry(inChannels: 8, outChannels: 8, kernel: 3, padding: 1), rng: &rng)
            down = Sequential([Conv2d(ConvGeometry(inChannels: 4, outChannels: 8, kernel: 1, stride: 2), rng: &rng), BatchNorm2d(8)])
        }

        var children: [(String, any Layer)] {
            [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2), ("down", down)]
        }

        func forward(_ x: Tensor) throws -> Tensor {
            let main = try bn2.forward(conv2.forward(relu1.forward(bn1.forward(conv1.forward(x)))))
            return try relu.forward(Functional.add(main, down.forward(x)))
        }

        func backward(_ dy: Tensor) throws -> Tensor {
            let g = try relu.backward(dy)
            let gMain = try conv1.backward(bn1.backward(relu1.backward(conv2.backward(bn2.backward(g)))))
            let gShort = try down.backward(g)
            return try Functional.add(gMain, gShort)
        }
    }

    func loadInit(_ block: Block) throws {
        for (name, p) in block.namedParameters() { try p.assign(Fixtures.tensor("block.init.\(name)")) }
        for (name, t) in block.namedBuffers() { try t.assign(Fixtures.tensor("block.init.\(name)")) }
    }

    @Test func residualBlockMatchesPyTorch() throws {
        let block = Block()
        try loadInit(block)
        let y = try block.forward(Fixtures.tensor("block.x"))
        try expectClose(y, "block.y")
        let gx = try block.backward(Fixtures.tensor("block.gy"))
        try expectClose(gx, "block.gx")
        for (name, p) in block.namedParameters() {
            try expectClose(try #require(p.grad, "no gradient for \(name)"), "block.grad.\(name)")
        }
    }

    /// d(Σ y·w)/dx by central differences against the analytic backward, on a few random coordinates.
    @Test func finiteDifferencesThroughBlock() throws {
        let block = Block()
        var rng = SeededGenerator(seed: 11)
        let x = Tensor.randomNormal([2, 4, 6, 6], using: &rng)
        let w = Tensor.randomNormal([2, 8, 3, 3], using: &rng)
        func objective(_ input: Tensor) throws -> Double {
            let y = try block.forward(input).toArray()
            let wv = w.toArray()
            return zip(y, wv).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        }
        _ = try objective(x)
        let analytic = try block.backward(w).toArray()
        for _ in 0..<12 {
            let i = rng.nextInt(below: x.count)
            let h: Float = 1e-2
            let plus = x.copy()
            let minus = x.copy()
            plus.withMutableValues { $0[i] += h }
            minus.withMutableValues { $0[i] -= h }
            let numeric = (try objective(plus) - objective(minus)) / Double(2 * h)
            _ = try block.backward(w)  // clear saved state from the probing forwards
            let a = Double(analytic[i])
            #expect(abs(numeric - a) <= 2e-2 * max(1, abs(a)), "coordinate \(i): numeric \(numeric) vs analytic \(a)")
        }
    }

    @Test func finiteDifferencesThroughDecoderPath() throws {
        // transposed conv → BN → tanh → bilinear resize → MSE, gradient w.r.t. the transposed conv's weight.
        var rng = SeededGenerator(seed: 5)
        let deconv = ConvTranspose2d(ConvGeometry(inChannels: 3, outChannels: 2, kernel: 3, stride: 2, padding: 1, outputPadding: 1), rng: &rng)
        let net = Sequential([deconv, BatchNorm2d(2), ActivationLayer(.tanh), BilinearResize(height: 7, width: 9)])
        let x = Tensor.randomNormal([2, 3, 4, 4], using: &rng)
        let target = Tensor.randomNormal([2, 2, 7, 9], using: &rng)
        func loss() throws -> Float { try Loss.mse(net.forward(x), target).value }
        let r = try Loss.mse(net.forward(x), target)
        _ = try net.backward(r.gradient)
        let g = try #require(deconv.weight.grad).toArray()
        for i in [0, 5, 17, 30, 53] {
            let h: Float = 1e-2
            let orig = deconv.weight.value.toArray()[i]
            deconv.weight.value.withMutableValues { $0[i] = orig + h }
            let lp = try loss()
            deconv.weight.value.withMutableValues { $0[i] = orig - h }
            let lm = try loss()
            deconv.weight.value.withMutableValues { $0[i] = orig }
            let numeric = (lp - lm) / (2 * h)
            #expect(abs(numeric - g[i]) <= 2e-3 + 2e-2 * abs(g[i]), "weight \(i): numeric \(numeric) vs analytic \(g[i])")
        }
    }

    @Test func inferenceFusionEqualsUnfusedEvaluation() throws {
        // conv → BN (eval) → ReLU, against the fused conv with folded BN and a ReLU post-op.
        var rng = SeededGenerator(seed: 9)
        let conv = Conv2d(ConvGeometry(inChannels: 16, outChannels: 32, kernel: 3, padding: 1), rng: &rng)
        let bn = BatchNorm2d(32)
        try bn.weight.assign(Tensor.randomUniform([32], low: 0.5, high: 1.5, using: &rng))
        try bn.bias.assign(Tensor.randomNormal([32], std: 0.1, using: &rng))
        try bn.runningMean.assign(Tensor.randomNormal([32], std: 0.2, using: &rng))
        try bn.runningVar.assign(Tensor.randomUniform([32], low: 0.5, high: 2, using: &rng))
        bn.markRunningStatisticsUpdated()
        let relu = ActivationLayer(.relu)
        let net = Sequential([conv, bn, relu])
        net.setTraining(false)
        let x = Tensor.randomNormal([2, 16, 10, 10], using: &rng)
        let reference = try net.forward(x).toArray()
        let shortcut = Tensor.randomNormal([2, 32, 10, 10], using: &rng)
        let fused = try conv.forwardFused(x, foldedBN: bn, post: ConvPostOps(relu: true)).toArray()
        expectClose(fused, reference, tolerance: 1e-5, "fused conv+bn+relu")
        let withSum = try conv.forwardFused(x, foldedBN: bn, post: ConvPostOps(sum: true, relu: true), residual: shortcut).toArray()
        let unfusedSum = try relu.forward(Functional.add(bn.forward(conv.forward(x)), shortcut)).toArray()
        expectClose(withSum, unfusedSum, tolerance: 1e-5, "fused conv+bn+sum+relu")
    }
}
