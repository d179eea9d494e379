import Determinism
import Testing

@testable import Compute

/// Inference convolutions choose among oneDNN's implementations (`ConvolutionImplementation`). The choice may
/// change the layouts and the summation order, never the result beyond rounding.
@Suite("Convolution implementations")
struct ConvolutionImplementationTests {
    /// ResNet-like problems: a stride-2 1×1 projection (where oneDNN's first choice is brgemm-based on AVX-512),
    /// a 3×3 stride-1 layer (Winograd: two kernels) and a 3×3 stride-2 layer.
    static let problems: [(x: [Int], g: ConvGeometry)] = [
        ([2, 64, 14, 14], ConvGeometry(inChannels: 64, outChannels: 128, kernel: 1, stride: 2)),
        ([2, 32, 14, 14], ConvGeometry(inChannels: 32, outChannels: 32, kernel: 3, padding: 1)),
        ([2, 32, 14, 14], ConvGeometry(inChannels: 32, outChannels: 48, kernel: 3, stride: 2, padding: 1)),
    ]

    @Test func jitPolicyTakesTheAVX512JITKernels() {
        for name in ["jit_1x1:avx512_core", "jit:avx512_core", "jit_wino_4x3:avx512_core"] {
            #expect(ConvolutionImplementation.jit.accepts(name), "\(name)")
        }
        for name in [
            "brgconv_1x1:avx512_core", "brgconv:avx512_core", "jit_fp32_wino_2x3:avx512_core", "jit:avx2",
            "gemm:jit", "ref:any",
        ] {
            #expect(!ConvolutionImplementation.jit.accepts(name), "\(name)")
        }
        #expect(ConvolutionImplementation.onednn.accepts("brgconv_1x1:avx512_core"))
        #expect(ConvolutionImplementation.onednn.accepts("ref:any"))
    }

    /// Each policy runs the first candidate (in oneDNN's order) it accepts, and oneDNN's first when it accepts
    /// none.
    @Test func primitiveRunsTheFirstAcceptedCandidate() throws {
        for (x, g) in Self.problems {
            let candidates = try ConvolutionOps.inferenceCandidates(x: x, g: g, bias: true)
            #expect(!candidates.isEmpty)
            let y = try ConvolutionOps.outputShape(x, g, transposed: false)
            for policy in ConvolutionImplementation.allCases {
                let ran = try ConvolutionOps.forwardPrimitive(
                    x: x, y: y, g: g, bias: true, transposed: false, training: false,
                    post: ConvPostOps(), implementation: policy
                ).implementation
                // The first accepted; else oneDNN's first direct kernel (Winograd's have "wino" in their names).
                let expected = candidates.first(where: policy.accepts) ?? candidates.first { !$0.contains("wino") }
                #expect(ran == expected, "\(g) under \(policy): ran \(ran), candidates \(candidates)")
            }
        }
    }

    /// On AVX-512 the JIT policy lands on the kernels it was measured with.
    @Test func jitPolicyRunsTheMeasuredKernels() throws {
        guard Engine.hasAVX512 else { return }
        let expected = ["jit_1x1:avx512_core", "jit_wino_4x3:avx512_core", "jit:avx512_core"]
        for ((x, g), name) in zip(Self.problems, expected) {
            let y = try ConvolutionOps.outputShape(x, g, transposed: false)
            let ran = try ConvolutionOps.forwardPrimitive(
                x: x, y: y, g: g, bias: true, transposed: false, training: false,
                post: ConvPostOps(), implementation: .jit
            ).implementation
            #expect(ran == name, "\(g)")
        }
    }

    /// A layer's cached inference weight (batch norm folded in, reordered for one primitive) is cached per policy:
    /// switching policies must not hand one primitive the weight prepared for the other's layout.
    @Test func foldedInferenceWeightsAreCachedPerPolicy() throws {
        var rng = SeededGenerator(seed: 22)
        let (xShape, g) = Self.problems[0]
        let conv = Conv2d(g, rng: &rng)
        let bn = BatchNorm2d(g.outChannels)
        try bn.runningMean.assign(Tensor.randomNormal([g.outChannels], using: &rng))
        try bn.runningVar.assign(Tensor.randomUniform([g.outChannels], low: 0.5, high: 2, using: &rng))
        try bn.weight.assign(Tensor.randomNormal([g.outChannels], using: &rng))
        bn.markRunningStatisticsUpdated()
        conv.isTraining = false
        bn.isTraining = false
        let x = Tensor.randomNormal(xShape, using: &rng)
        let expected = try bn.forward(ConvolutionOps.forward(x, weight: conv.weight.value, bias: nil, g, training: true)).toArray()
        for policy in [ConvolutionImplementation.jit, .onednn, .jit, .onednn] {
            let y = try conv.forwardFused(x, foldedBN: bn, post: ConvPostOps(), implementation: policy)
            expectClose(y.toArray(), expected, tolerance: 1e-5, "folded under \(policy)")
        }
    }

    /// Both policies, with the fused residual add and ReLU of a bottleneck's last convolution, agree with each
    /// other and with the training forward (direct, no post-ops) followed by add and ReLU.
    @Test func policiesAgreeWithFusedResidual() throws {
        var rng = SeededGenerator(seed: 21)
        for (xShape, g) in Self.problems {
            let x = Tensor.randomNormal(xShape, using: &rng)
            let w = Tensor.randomNormal([g.outChannels, g.inChannels, g.kernelH, g.kernelW], using: &rng)
            let b = Tensor.randomNormal([g.outChannels], using: &rng)
            let yShape = try ConvolutionOps.outputShape(xShape, g, transposed: false)
            let shortcut = Tensor.randomNormal(yShape, using: &rng)
            let plain = try ConvolutionOps.forward(x, weight: w, bias: b, g, training: true).toArray()
            let s = shortcut.toArray()
            let expected = zip(plain, s).map { max(0, $0 + $1) }
            for policy in ConvolutionImplementation.allCases {
                let y = try ConvolutionOps.forward(
                    x, weight: w, bias: b, g, training: false, post: ConvPostOps(sum: true, relu: true),
                    residual: shortcut, implementation: policy)
                #expect(y.shape == yShape)
                expectClose(y.toArray(), expected, tolerance: 1e-5, "\(g) under \(policy)")
            }
            #expect(shortcut.toArray() == s, "the shortcut was not consumed, so it must be unchanged")
        }
    }

    @Test func environmentSettingsParse() {
        let unset: (ConvolutionImplementation, String?) = Engine.parseSetting("WBC_CONV_IMPL", nil, default: .jit)
        #expect(unset.0 == .jit && unset.1 == nil)
        let empty: (ConvolutionImplementation, String?) = Engine.parseSetting("WBC_CONV_IMPL", "", default: .onednn)
        #expect(empty.0 == .onednn && empty.1 == nil)
        let upper: (ConvolutionImplementation, String?) = Engine.parseSetting("WBC_CONV_IMPL", "OneDNN", default: .jit)
        #expect(upper.0 == .onednn && upper.1 == nil)
        let algorithm: (ConvolutionAlgorithm, String?) = Engine.parseSetting("WBC_CONV_ALGORITHM", "direct", default: .auto)
        #expect(algorithm.0 == .direct && algorithm.1 == nil)
        let bad: (ConvolutionImplementation, String?) = Engine.parseSetting("WBC_CONV_IMPL", "fastest", default: .jit)
        #expect(bad.0 == .jit)
        #expect(bad.1 == "wbc: WBC_CONV_IMPL=fastest is not one of onednn, jit; using jit")
    }
}
