import Determinism
import Foundation
import Testing

@testable import Compute

/// Training keeps convolution weights in their primitive's blocked layout and fuses ReLU into batch norm.
/// Neither may change a single number: these tests compare against the plain, unfused computation.
@Suite("Training layouts and fusions")
struct TrainingLayoutTests {
    let geometry = ConvGeometry(inChannels: 16, outChannels: 32, kernel: 3, padding: 1)

    /// One training step of a convolution: forward, backward, optimizer step.
    func step(_ conv: Conv2d, _ x: Tensor, _ gy: Tensor, _ opt: any Optimizer) throws -> (y: [Float], dx: [Float]) {
        conv.weight.zeroGrad()
        conv.bias?.zeroGrad()
        let y = try conv.forward(x)
        let dx = try conv.backward(gy)
        try opt.step()
        return (y.toArray(), dx.toArray())
    }

    /// A weight living in the forward primitive's layout gets exactly the SGD update that its plain values
    /// get by hand, and reads back (values, state dict) in PyTorch's order.
    @Test func blockedWeightTrainsLikeAPlainOne() throws {
        var rng = SeededGenerator(seed: 3)
        let conv = Conv2d(geometry, rng: &rng)
        let w0 = conv.weight.value.toArray()
        let x = Tensor.randomNormal([2, 16, 8, 8], using: &rng)
        let gy = Tensor.randomNormal([2, 32, 8, 8], using: &rng)
        let opt = SGD([conv.weight], lr: 0.1, momentum: 0.9)

        _ = try conv.forward(x)
        if Engine.hasAVX512 {
            #expect(!conv.weight.value.isPlain, "the training forward should adopt the primitive's layout")
        }
        #expect(conv.weight.value.toArray() == w0, "adopting a layout must not change the values")
        _ = try conv.backward(gy)
        let g1 = try #require(conv.weight.grad).toArray()
        // The accumulated gradient reads back as the backward-weights primitive's result.
        let reference = try ConvolutionOps.backwardWeights(gy, input: x, geometry, bias: false, transposed: false).weight.toArray()
        #expect(g1 == reference)
        try opt.step()
        var w = w0
        var buf = g1
        for i in w.indices { w[i] -= 0.1 * buf[i] }
        #expect(conv.weight.value.toArray() == w, "first SGD step")

        conv.weight.zeroGrad()
        _ = try conv.forward(x)
        _ = try conv.backward(gy)
        let g2 = try #require(conv.weight.grad).toArray()
        try opt.step()
        for i in w.indices {
            buf[i] = 0.9 * buf[i] + g2[i]
            w[i] -= 0.1 * buf[i]
        }
        #expect(conv.weight.value.toArray() == w, "second SGD step (momentum)")
        #expect(conv.weight.version == 2)
        // Optimizer state comes out plain, in PyTorch's order.
        let state = try #require(opt.stateDict().tensors.first?.1)
        #expect(state.isPlain)
        #expect(state.toArray() == buf)
    }

    /// Channel counts that are not multiples of 16 (20 → 40) pad the blocked weight; Adam with weight decay
    /// over the padded storage must give each real weight exactly the update of the rule written out here.
    @Test func paddedBlockedWeightFollowsAdamWithWeightDecay() throws {
        var rng = SeededGenerator(seed: 9)
        let g = ConvGeometry(inChannels: 20, outChannels: 40, kernel: 3, padding: 1)
        let conv = Conv2d(g, rng: &rng)
        let x = Tensor.randomNormal([2, 20, 6, 6], using: &rng)
        let gy = Tensor.randomNormal([2, 40, 6, 6], using: &rng)
        let (lr, wd, b1, b2, eps): (Double, Double, Double, Double, Double) = (1e-2, 1e-2, 0.9, 0.999, 1e-8)
        let opt = Adam([conv.weight], lr: Float(lr), weightDecay: Float(wd))
        var w = conv.weight.value.toArray().map(Double.init)
        var m = [Double](repeating: 0, count: w.count)
        var v = m
        for t in 1...3 {
            conv.weight.zeroGrad()
            _ = try conv.forward(x)
            _ = try conv.backward(gy)
            let grad = try #require(conv.weight.grad).toArray().map(Double.init)
            try opt.step()
            for i in w.indices {
                let d = grad[i] + wd * w[i]
                m[i] = b1 * m[i] + (1 - b1) * d
                v[i] = b2 * v[i] + (1 - b2) * d * d
                let mHat = m[i] / (1 - pow(b1, Double(t)))
                let vHat = v[i] / (1 - pow(b2, Double(t)))
                w[i] -= lr * mHat / (vHat.squareRoot() + eps)
            }
            expectClose(conv.weight.value.toArray(), w.map(Float.init), tolerance: 1e-5, "Adam step \(t)")
        }
        if Engine.hasAVX512 { #expect(!conv.weight.value.isPlain) }
    }

    /// After training, evaluation mode prepares its own weights: for a Winograd inference primitive that
    /// means reordering a blocked weight into oneDNN's Winograd format (via plain: oneDNN has no direct path).
    @Test func trainedConvolutionRunsInEvaluationMode() throws {
        var rng = SeededGenerator(seed: 10)
        let conv = Conv2d(geometry, bias: true, rng: &rng)
        let x = Tensor.randomNormal([2, 16, 8, 8], using: &rng)
        let opt = SGD(conv.parameters, lr: 0.1)
        _ = try step(conv, x, Tensor.randomNormal([2, 32, 8, 8], using: &rng), opt)
        conv.isTraining = false
        let y = try conv.forward(x)
        let direct = try ConvolutionOps.forward(x, weight: conv.weight.value, bias: conv.bias!.value, geometry, training: true)
        expectClose(y.toArray(), direct.toArray(), tolerance: 1e-5, "evaluation after training")
        let inference = try ConvolutionOps.forwardPrimitive(
            x: x.shape, y: y.shape, g: geometry, bias: true, transposed: false,
            training: false, post: ConvPostOps()
        ).implementation
        if Engine.convolutionAlgorithm == .auto && Engine.hasAVX512 { #expect(inference.contains("wino"), "inference ran \(inference)") }
    }

    /// Adam state saved from a blocked-layout weight and loaded (plain, as from a checkpoint) into a fresh
    /// model continues exactly as the original, and `assign` writes into a blocked weight.
    @Test func optimizerStateResumesAcrossLayouts() throws {
        var rng = SeededGenerator(seed: 4)
        let a = Conv2d(geometry, rng: &rng)
        let x = Tensor.randomNormal([2, 16, 8, 8], using: &rng)
        let gy = Tensor.randomNormal([2, 32, 8, 8], using: &rng)
        let optA = Adam([a.weight], lr: 1e-2)
        for _ in 0..<2 { _ = try step(a, x, gy, optA) }

        var rng2 = SeededGenerator(seed: 99)
        let b = Conv2d(geometry, rng: &rng2)
        _ = try b.forward(x)  // b's weight now lives in the blocked layout too
        try b.weight.assign(Tensor(shape: a.weight.shape, values: a.weight.value.toArray()))
        #expect(b.weight.value.toArray() == a.weight.value.toArray())
        let saved = optA.stateDict()
        let optB = Adam([b.weight], lr: 1e-2)
        try optB.loadState(tensors: Dictionary(uniqueKeysWithValues: saved.tensors.map { ($0.0, $0.1.copy()) }), steps: saved.steps)

        let ra = try step(a, x, gy, optA)
        let rb = try step(b, x, gy, optB)
        #expect(ra.y == rb.y)
        #expect(ra.dx == rb.dx)
        #expect(a.weight.value.toArray() == b.weight.value.toArray())
    }

    /// A primitive created on one thread runs on another (Swift tasks hop threads). With oneDNN's default
    /// scratchpad, sized per thread by the primitives created there, a Winograd backward pass made on one
    /// fresh thread and run on another read a missing buffer and crashed; every primitive now runs with the
    /// engine's shared scratchpad.
    @Test func primitivesRunOnThreadsOtherThanTheirCreator() throws {
        var rng = SeededGenerator(seed: 6)
        let g = ConvGeometry(inChannels: 48, outChannels: 48, kernel: 3, padding: 1)  // shapes no other test uses
        let conv = Conv2d(g, rng: &rng)
        let x = Tensor.randomNormal([2, 48, 9, 9], using: &rng)
        let gy = Tensor.randomNormal([2, 48, 9, 9], using: &rng)
        func stepOnFreshThread() -> (dx: [Float], dw: [Float]) {
            let done = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var out: (dx: [Float], dw: [Float]) = ([], [])
            let t = Thread {
                conv.weight.zeroGrad()
                if (try? conv.forward(x)) != nil, let dx = try? conv.backward(gy), let dw = conv.weight.grad {
                    out = (dx.toArray(), dw.toArray())
                }
                done.signal()
            }
            t.start()
            done.wait()
            return out
        }
        let first = stepOnFreshThread()  // creates the primitives
        let second = stepOnFreshThread()  // runs them on a thread that created none
        #expect(!first.dx.isEmpty && !first.dw.isEmpty)
        #expect(first.dx == second.dx)
        #expect(first.dw == second.dw)
        let impl = try ConvolutionOps.trainingImplementations(x: x.shape, g, bias: false)
        if Engine.convolutionAlgorithm == .auto && Engine.hasAVX512 {
            #expect(impl.backwardWeights.contains("wino"), "backward-weights ran \(impl.backwardWeights)")
        }
    }

    /// relu(a + b) in one primitive, written over `a`, and its backward from the output, against add then ReLU.
    @Test func addReLUMatchesAddThenReLU() throws {
        var rng = SeededGenerator(seed: 7)
        let a = Tensor.randomNormal([2, 32, 5, 5], using: &rng)
        let b = Tensor.randomNormal([2, 32, 5, 5], using: &rng)
        let gy = Tensor.randomNormal([2, 32, 5, 5], using: &rng)
        let relu = ActivationLayer(.relu)
        let expected = try relu.forward(Functional.add(a, b))
        let expectedDx = try relu.backward(gy).toArray()
        let aCopy = a.copy()
        let y = try Functional.addReLU(aCopy, b, reuseFirst: true)
        #expect(y.toArray() == expected.toArray())
        #expect(y.toArray().contains(0) && y.toArray().contains { $0 > 0 })
        #expect(aCopy.toArray() == y.toArray(), "reuseFirst writes the result over the first operand")
        #expect(try Functional.reluBackward(gy, output: y).toArray() == expectedDx)
        let fresh = try Functional.addReLU(a, b)
        #expect(fresh.toArray() == expected.toArray())
        #expect(a.toArray() != fresh.toArray(), "without reuseFirst the operand is left alone")
    }

    /// Convolutions with fewer than 16 output channels (an image head) keep their output and its gradient
    /// plain instead of padding the channels to a 16-wide block.
    @Test func smallChannelOutputsStayPlain() throws {
        var rng = SeededGenerator(seed: 8)
        let head = ConvTranspose2d(ConvGeometry(inChannels: 16, outChannels: 3, kernel: 3, stride: 2, padding: 1, outputPadding: 1), rng: &rng)
        let wide = Conv2d(ConvGeometry(inChannels: 16, outChannels: 32, kernel: 3, padding: 1), rng: &rng)
        let x = Tensor.randomNormal([2, 16, 8, 8], using: &rng)
        let y = try head.forward(x)
        #expect(y.shape == [2, 3, 16, 16])
        #expect(y.isPlain)
        let dx = try head.backward(Tensor.randomNormal(y.shape, using: &rng))
        #expect(dx.shape == x.shape)
        if Engine.hasAVX512 {
            #expect(!(try wide.forward(x)).isPlain, "32 channels should still get a blocked layout")
        }
    }

    /// Batch norm with its ReLU fused (`appliesReLU`) against batch norm then ReLU, in training (batch and
    /// frozen statistics) and evaluation, with every gradient.
    @Test(arguments: ["train", "frozen", "eval"])
    func batchNormWithFusedReLU(_ mode: String) throws {
        var rng = SeededGenerator(seed: 5)
        let x = Tensor.randomNormal([4, 32, 6, 6], using: &rng)
        let gy = Tensor.randomNormal([4, 32, 6, 6], using: &rng)
        let gamma = Tensor.randomUniform([32], low: 0.5, high: 1.5, using: &rng)
        let beta = Tensor.randomNormal([32], std: 0.5, using: &rng)
        let mean = Tensor.randomNormal([32], std: 0.2, using: &rng)
        let variance = Tensor.randomUniform([32], low: 0.5, high: 1.5, using: &rng)
        func make(_ fused: Bool) throws -> BatchNorm2d {
            let bn = BatchNorm2d(32)
            try bn.weight.assign(gamma)
            try bn.bias.assign(beta)
            try bn.runningMean.assign(mean)
            try bn.runningVar.assign(variance)
            bn.appliesReLU = fused
            bn.freezeStatistics = mode == "frozen"
            bn.setTraining(mode != "eval")
            return bn
        }
        let fused = try make(true)
        let plain = try make(false)
        let relu = ActivationLayer(.relu)
        relu.setTraining(mode != "eval")
        let yFused = try fused.forward(x)
        let yPlain = try relu.forward(plain.forward(x))
        #expect(yFused.toArray() == yPlain.toArray())
        #expect(yFused.toArray().contains(0) && yFused.toArray().contains { $0 > 0 }, "the ReLU must clip something")
        #expect(fused.runningMean.toArray() == plain.runningMean.toArray())
        #expect(fused.runningVar.toArray() == plain.runningVar.toArray())
        guard mode != "eval" else { return }
        let dxFused = try fused.backward(gy)
        let dxPlain = try plain.backward(relu.backward(gy))
        expectClose(dxFused.toArray(), dxPlain.toArray(), tolerance: 1e-6, "dx")
        expectClose(try #require(fused.weight.grad).toArray(), try #require(plain.weight.grad).toArray(), tolerance: 1e-6, "dgamma")
        expectClose(try #require(fused.bias.grad).toArray(), try #require(plain.bias.grad).toArray(), tolerance: 1e-6, "dbeta")
    }
}
