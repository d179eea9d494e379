import Determinism
import Testing

@testable import Compute

/// Forward values and every gradient of each op against PyTorch (relative L2 error ≤ 1e-4).
@Suite("Ops match PyTorch")
struct OpsTests {
    func geometry(
        _ key: String, stride: Int, padding: Int, dilation: Int = 1, groups: Int = 1,
        outputPadding: Int = 0, transposed: Bool = false
    ) throws -> ConvGeometry {
        let w = try #require(Fixtures.ops["\(key).w"]).shape
        let (i, o) = transposed ? (w[0], w[1] * groups) : (w[1] * groups, w[0])
        return ConvGeometry(
            inChannels: i, outChannels: o, kernel: w[2], stride: stride, padding: padding,
            dilation: dilation, groups: groups, outputPadding: outputPadding)
    }

    func checkConv(_ key: String, _ g: ConvGeometry, bias: Bool, transposed: Bool) throws {
        var rng = SeededGenerator(seed: 1)
        let x = try Fixtures.tensor("\(key).x")
        let layer: any Layer
        let weight: Parameter
        let b: Parameter?
        if transposed {
            let l = ConvTranspose2d(g, bias: bias, rng: &rng)
            (layer, weight, b) = (l, l.weight, l.bias)
        } else {
            let l = Conv2d(g, bias: bias, rng: &rng)
            (layer, weight, b) = (l, l.weight, l.bias)
        }
        try weight.assign(Fixtures.tensor("\(key).w"))
        if bias { try b?.assign(Fixtures.tensor("\(key).b")) }
        let y = try layer.forward(x)
        try expectClose(y, "\(key).y")
        let gx = try layer.backward(Fixtures.tensor("\(key).gy"))
        try expectClose(gx, "\(key).gx")
        try expectClose(try #require(weight.grad), "\(key).gw")
        if bias { try expectClose(try #require(b?.grad), "\(key).gb") }
    }

    @Test func convolution() throws {
        try checkConv("conv", geometry("conv", stride: 2, padding: 1), bias: true, transposed: false)
    }

    @Test func groupedDilatedConvolution() throws {
        try checkConv(
            "conv_grouped", geometry("conv_grouped", stride: 1, padding: 2, dilation: 2, groups: 2),
            bias: false, transposed: false)
    }

    @Test func stemConvolution() throws {
        try checkConv("conv_7x7", geometry("conv_7x7", stride: 2, padding: 3), bias: false, transposed: false)
    }

    /// A 3×3 stride-1 convolution on 12² maps: under the default algorithm (where this CPU has the kernel)
    /// inference and both backward passes run oneDNN's Winograd, the training forward runs direct, and
    /// every result still matches PyTorch's float64 reference.
    @Test func winogradConvolution() throws {
        let key = "conv_3x3_winograd"
        let g = try geometry(key, stride: 1, padding: 1)
        let x = try #require(Fixtures.ops["\(key).x"]).shape
        let y = try ConvolutionOps.outputShape(x, g, transposed: false)
        for pass in [ConvPass.inference, .backwardData, .backwardWeights] {
            #expect(ConvolutionOps.prefersWinograd(g, transposed: false, output: y, pass: pass, algorithm: .auto))
            #expect(!ConvolutionOps.prefersWinograd(g, transposed: false, output: y, pass: pass, algorithm: .direct))
        }
        #expect(!ConvolutionOps.prefersWinograd(g, transposed: false, output: y, pass: .trainingForward, algorithm: .auto))
        let impl = try ConvolutionOps.trainingImplementations(x: x, g, bias: true)
        if Engine.convolutionAlgorithm == .auto && Engine.hasAVX512 {
            #expect(!impl.forward.contains("wino"), "training forward ran \(impl.forward)")
            #expect(impl.backwardData.contains("wino"), "backward-data ran \(impl.backwardData)")
            #expect(impl.backwardWeights.contains("wino"), "backward-weights ran \(impl.backwardWeights)")
            let inference = try ConvolutionOps.forwardPrimitive(
                x: x, y: y, g: g, bias: true, transposed: false,
                training: false, post: ConvPostOps()
            ).implementation
            #expect(inference.contains("wino"), "inference ran \(inference)")
        }
        try checkConv(key, g, bias: true, transposed: false)
        // Inference (the Winograd forward) against the same reference.
        var rng = SeededGenerator(seed: 1)
        let conv = Conv2d(g, bias: true, rng: &rng)
        try conv.weight.assign(Fixtures.tensor("\(key).w"))
        try conv.bias!.assign(Fixtures.tensor("\(key).b"))
        conv.isTraining = false
        try expectClose(try conv.forward(Fixtures.tensor("\(key).x")), "\(key).y")
    }

    /// Which convolutions may use Winograd: 3×3, stride 1, undilated, ungrouped, not transposed, on maps at
    /// least the measured minimum side for the pass.
    @Test func winogradEligibility() {
        let base = ConvGeometry(inChannels: 64, outChannels: 64, kernel: 3, padding: 1)
        func prefers(_ g: ConvGeometry, side: Int, _ pass: ConvPass = .inference, transposed: Bool = false) -> Bool {
            ConvolutionOps.prefersWinograd(g, transposed: transposed, output: [16, 64, side, side], pass: pass, algorithm: .auto)
        }
        #expect(prefers(base, side: 7))
        #expect(!prefers(base, side: 6))
        #expect(prefers(base, side: 7, .backwardData))
        #expect(!prefers(base, side: 6, .backwardData))
        #expect(!prefers(base, side: 56, .trainingForward))
        #expect(prefers(base, side: 4, .backwardWeights))
        #expect(!prefers(base, side: 3, .backwardWeights))
        #expect(!prefers(base, side: 56, transposed: true))
        #expect(!prefers(ConvGeometry(inChannels: 64, outChannels: 64, kernel: 3, stride: 2, padding: 1), side: 56))
        #expect(!prefers(ConvGeometry(inChannels: 64, outChannels: 64, kernel: 3, padding: 2, dilation: 2), side: 56))
        #expect(!prefers(ConvGeometry(inChannels: 64, outChannels: 64, kernel: 3, padding: 1, groups: 2), side: 56))
        #expect(!prefers(ConvGeometry(inChannels: 64, outChannels: 64, kernel: 1), side: 56))
    }

    @Test func transposedConvolutionWithOutputPadding() throws {
        try checkConv(
            "deconv", geometry("deconv", stride: 2, padding: 1, outputPadding: 1, transposed: true),
            bias: true, transposed: true)
    }

    @Test func transposedConvolutionStride1() throws {
        try checkConv("deconv_s1", geometry("deconv_s1", stride: 1, padding: 1, transposed: true), bias: true, transposed: true)
    }

    @Test func transposedPointwiseShortcut() throws {
        try checkConv(
            "deconv_1x1", geometry("deconv_1x1", stride: 2, padding: 0, outputPadding: 1, transposed: true),
            bias: true, transposed: true)
    }

    @Test func batchNormTraining() throws {
        let bn = BatchNorm2d(5)
        try bn.weight.assign(Fixtures.tensor("bn_train.gamma"))
        try bn.bias.assign(Fixtures.tensor("bn_train.beta"))
        try bn.runningMean.assign(Fixtures.tensor("bn_train.running_mean0"))
        try bn.runningVar.assign(Fixtures.tensor("bn_train.running_var0"))
        let y = try bn.forward(Fixtures.tensor("bn_train.x"))
        try expectClose(y, "bn_train.y")
        try expectClose(bn.runningMean, "bn_train.running_mean")
        try expectClose(bn.runningVar, "bn_train.running_var")
        #expect(bn.numBatchesTracked == 1)
        let gx = try bn.backward(Fixtures.tensor("bn_train.gy"))
        try expectClose(gx, "bn_train.gx")
        try expectClose(try #require(bn.weight.grad), "bn_train.ggamma")
        try expectClose(try #require(bn.bias.grad), "bn_train.gbeta")
    }

    @Test func batchNormEvaluation() throws {
        let bn = BatchNorm2d(5)
        try bn.weight.assign(Fixtures.tensor("bn_eval.gamma"))
        try bn.bias.assign(Fixtures.tensor("bn_eval.beta"))
        try bn.runningMean.assign(Fixtures.tensor("bn_eval.running_mean"))
        try bn.runningVar.assign(Fixtures.tensor("bn_eval.running_var"))
        bn.setTraining(false)
        try expectClose(try bn.forward(Fixtures.tensor("bn_eval.x")), "bn_eval.y")
    }

    /// ReLU6's reference values come with EfficientNet-Lite's (`EfficientNetLiteTests`).
    @Test(arguments: Activation.allCases.filter { $0 != .relu6 })
    func activation(_ kind: Activation) throws {
        let layer = ActivationLayer(kind)
        try expectClose(try layer.forward(Fixtures.tensor("\(kind.rawValue).x")), "\(kind.rawValue).y")
        try expectClose(try layer.backward(Fixtures.tensor("\(kind.rawValue).gy")), "\(kind.rawValue).gx")
    }

    @Test func maxPool() throws {
        let layer = Pool2d(PoolGeometry(.max, kernel: 3, stride: 2, padding: 1))
        try expectClose(try layer.forward(Fixtures.tensor("maxpool.x")), "maxpool.y")
        try expectClose(try layer.backward(Fixtures.tensor("maxpool.gy")), "maxpool.gx")
    }

    @Test func averagePool() throws {
        let layer = Pool2d(PoolGeometry(.averageIncludingPadding, kernel: 2, stride: 2))
        try expectClose(try layer.forward(Fixtures.tensor("avgpool.x")), "avgpool.y")
        try expectClose(try layer.backward(Fixtures.tensor("avgpool.gy")), "avgpool.gx")
    }

    @Test func globalAveragePool() throws {
        let layer = GlobalAveragePool()
        try expectClose(try layer.forward(Fixtures.tensor("gap.x")), "gap.y")
        try expectClose(try layer.backward(Fixtures.tensor("gap.gy")), "gap.gx")
    }

    @Test func linear() throws {
        var rng = SeededGenerator(seed: 0)
        let layer = Linear(7, 4, rng: &rng)
        try layer.weight.assign(Fixtures.tensor("linear.w"))
        try layer.bias!.assign(Fixtures.tensor("linear.b"))
        try expectClose(try layer.forward(Fixtures.tensor("linear.x")), "linear.y")
        try expectClose(try layer.backward(Fixtures.tensor("linear.gy")), "linear.gx")
        try expectClose(try #require(layer.weight.grad), "linear.gw")
        try expectClose(try #require(layer.bias?.grad), "linear.gb")
    }

    /// `resize_half` takes the 2×2 average-pool path (`ResampleOps.halves`).
    @Test(arguments: ["resize_up", "resize_down", "resize_2x", "resize_half"])
    func bilinearResize(_ key: String) throws {
        let y = try #require(Fixtures.ops["\(key).y"]).shape
        let layer = BilinearResize(height: y[2], width: y[3])
        try expectClose(try layer.forward(Fixtures.tensor("\(key).x")), "\(key).y")
        try expectClose(try layer.backward(Fixtures.tensor("\(key).gy")), "\(key).gx")
    }

    @Test func mseLoss() throws {
        let r = try Loss.mse(Fixtures.tensor("mse.prediction"), Fixtures.tensor("mse.target"))
        expectClose([r.value], try Fixtures.values("mse.loss"), "mse loss")
        try expectClose(r.gradient, "mse.grad")
    }

    @Test(arguments: [Reduction.batchmean, .sum])
    func klDivergence(_ reduction: Reduction) throws {
        let key = "kl_\(reduction.rawValue)"
        let r = try Loss.klDivergence(
            logInput: Fixtures.tensor("\(key).log_input"), target: Fixtures.tensor("\(key).target"),
            reduction: reduction)
        expectClose([r.value], try Fixtures.values("\(key).loss"), "\(key) loss")
        try expectClose(r.gradient, "\(key).grad")
    }

    @Test func crossEntropy() throws {
        let labels = try Fixtures.values("ce.labels").map { Int($0) }
        let r = try Loss.crossEntropy(logits: Fixtures.tensor("ce.logits"), labels: labels)
        expectClose([r.value], try Fixtures.values("ce.loss"), "cross-entropy loss")
        try expectClose(r.gradient, "ce.grad")
    }
}
