import CDNNL

/// Geometry of a 2-D (transposed) convolution, PyTorch conventions.
public struct ConvGeometry: Hashable, Sendable, CustomStringConvertible {
    public var inChannels: Int
    public var outChannels: Int
    public var kernel: (h: Int, w: Int) { (kernelH, kernelW) }
    public var kernelH: Int, kernelW: Int
    public var strideH: Int, strideW: Int
    public var padH: Int, padW: Int
    /// Padding after the last row and column (bottom, right); equal to `padH`/`padW` unless asked otherwise.
    /// TensorFlow's "SAME" padding, which EfficientNet's published weights were trained with, pads one more
    /// at the end than at the start for even inputs of a stride-2 convolution. Convolutions only.
    public var padEndH: Int, padEndW: Int
    public var dilationH: Int, dilationW: Int
    public var groups: Int
    /// Transposed convolution only: extra rows/columns added on the bottom/right of the output.
    public var outputPadH: Int, outputPadW: Int

    /// - Parameter paddingEnd: padding after the last row and column when it differs from `padding`
    ///   (`(start, end)` = `(padding, paddingEnd)` on both axes).
    public init(
        inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
        paddingEnd: Int? = nil, dilation: Int = 1, groups: Int = 1, outputPadding: Int = 0
    ) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        kernelH = kernel
        kernelW = kernel
        strideH = stride
        strideW = stride
        padH = padding
        padW = padding
        padEndH = paddingEnd ?? padding
        padEndW = paddingEnd ?? padding
        dilationH = dilation
        dilationW = dilation
        self.groups = groups
        outputPadH = outputPadding
        outputPadW = outputPadding
    }

    public var description: String {
        let end = padEndH == padH && padEndW == padW ? "" : " pe\(padEndH)x\(padEndW)"
        return
            "\(inChannels)->\(outChannels) k\(kernelH)x\(kernelW) s\(strideH)x\(strideW) p\(padH)x\(padW)\(end) d\(dilationH)x\(dilationW) g\(groups) op\(outputPadH)x\(outputPadW)"
    }

    func validate(_ op: String) throws {
        guard inChannels > 0, outChannels > 0, kernelH > 0, kernelW > 0, strideH > 0, strideW > 0,
            padH >= 0, padW >= 0, padEndH >= 0, padEndW >= 0, dilationH > 0, dilationW > 0, groups > 0
        else {
            throw ComputeError("\(op): invalid geometry \(self)")
        }
        guard inChannels % groups == 0, outChannels % groups == 0 else {
            throw ComputeError("\(op): channels \(inChannels)->\(outChannels) are not divisible by groups \(groups)")
        }
    }

    /// Output spatial size of a convolution on an `h`×`w` input.
    public func convOutput(_ h: Int, _ w: Int) -> (Int, Int) {
        (
            (h + padH + padEndH - dilationH * (kernelH - 1) - 1) / strideH + 1,
            (w + padW + padEndW - dilationW * (kernelW - 1) - 1) / strideW + 1
        )
    }

    /// Output spatial size of a transposed convolution on an `h`×`w` input.
    func deconvOutput(_ h: Int, _ w: Int) -> (Int, Int) {
        (
            (h - 1) * strideH - 2 * padH + dilationH * (kernelH - 1) + outputPadH + 1,
            (w - 1) * strideW - 2 * padW + dilationW * (kernelW - 1) + outputPadW + 1
        )
    }

    var key: String { description }
    var strides: [Int64] { [Int64(strideH), Int64(strideW)] }
    var dilates: [Int64] { [Int64(dilationH - 1), Int64(dilationW - 1)] }
    var padL: [Int64] { [Int64(padH), Int64(padW)] }

    public static func == (a: ConvGeometry, b: ConvGeometry) -> Bool { a.description == b.description }
    public func hash(into h: inout Hasher) { h.combine(description) }
}

/// What oneDNN fuses after a convolution in inference mode.
public struct ConvPostOps: Hashable, Sendable {
    /// Add the destination's previous contents (a residual shortcut) before the activation.
    public var sum = false
    /// Apply ReLU last.
    public var relu = false
    /// Apply ReLU6 (`min(max(x, 0), 6)`, MobileNet's and EfficientNet-Lite's activation) last.
    public var relu6 = false
    public init(sum: Bool = false, relu: Bool = false, relu6: Bool = false) {
        self.sum = sum
        self.relu = relu
        self.relu6 = relu6
    }
    var key: String { "\(sum ? "sum" : "")\(relu ? "relu" : "")\(relu6 ? "relu6" : "")" }

    func attribute() throws -> dnnl_primitive_attr_t? {
        guard sum || relu || relu6 else { return nil }
        var attr: dnnl_primitive_attr_t? = nil
        try dnnlCheck(dnnl_primitive_attr_create(&attr), "post-op attribute")
        var ops: dnnl_post_ops_t? = nil
        try dnnlCheck(dnnl_post_ops_create(&ops), "post-ops")
        if sum { try dnnlCheck(dnnl_post_ops_append_sum(ops, 1), "sum post-op") }
        if relu { try dnnlCheck(dnnl_post_ops_append_eltwise(ops, 1, dnnl_eltwise_relu, 0, 0), "ReLU post-op") }
        if relu6 {
            let a = Activation.relu6
            try dnnlCheck(dnnl_post_ops_append_eltwise(ops, 1, a.algorithm, a.alpha, a.beta), "ReLU6 post-op")
        }
        try dnnlCheck(dnnl_primitive_attr_set_post_ops(attr, ops), "post-op attribute")
        dnnl_post_ops_destroy(ops)
        return attr
    }
}

/// How oneDNN computes the 3×3 convolutions.
public enum ConvolutionAlgorithm: String, Sendable, CaseIterable {
    /// Winograd F(4×4, 3×3) for stride-1, undilated, ungrouped 3×3 convolutions on maps large enough
    /// that it is faster on this CPU (see `ConvolutionOps.winogradMinimumSide`); direct everywhere else.
    /// Results differ from direct convolution by rounding only: ResNet-50's logits by 5.7e-7 relative (direct:
    /// 5.5e-7) against float64 PyTorch, in `Benchmarks/resnet-parity.sh`.
    case auto
    /// Direct convolution everywhere: the summation PyTorch's CPU convolution does.
    case direct
}

/// Which of oneDNN's implementations an inference convolution runs. For most problems oneDNN has several
/// (brgemm-based `brgconv`, JIT direct `jit`/`jit_1x1`, two Winograd kernels) and takes the first in its
/// own order that accepts the problem; that order is tuned on Intel CPUs. The training passes always take
/// oneDNN's choice, which is the JIT direct kernels for ResNet's convolutions on AVX-512.
public enum ConvolutionImplementation: String, Sendable, CaseIterable {
    /// oneDNN's first choice.
    case onednn
    /// oneDNN's AVX-512 JIT kernels (`jit_1x1`, `jit`, Winograd `jit_wino_4x3`) ahead of its brgemm ones and of
    /// its 2×3 Winograd kernel (`jit_fp32_wino_2x3`); oneDNN's first direct choice where none of those accepts the
    /// problem. The default on AMD CPUs with AVX-512: measured on Zen 4 (`Benchmarks/conv-implementations.sh`,
    /// README "Speed"), the stride-2 1×1 512→1024 convolution ran in 0.92–0.96 ms per image against 2.18–3.17 with
    /// `brgconv_1x1`, and the 3×3 64→64 on 56² in 0.36 ms against 0.53–0.62 with the 2×3 Winograd kernel;
    /// ResNet-50's forward gained 8–10 %. The JIT kernels also keep every map in one blocked layout
    /// (`nChw16c`), where `brgconv` wants `nhwc` and a reorder sat before each Winograd layer.
    case jit

    /// Whether this policy takes the implementation oneDNN names `name` (e.g. "jit_1x1:avx512_core").
    func accepts(_ name: String) -> Bool {
        switch self {
        case .onednn: return true
        case .jit: return name.hasSuffix(":avx512_core") && !name.hasPrefix("brg") && !name.hasPrefix("jit_fp32_wino_2x3")
        }
    }
}

/// The pass of a convolution a primitive computes.
enum ConvPass { case inference, trainingForward, backwardData, backwardWeights }

/// Convolution and transposed convolution through oneDNN, with PyTorch weight layouts:
/// convolution weights `[O, I/groups, kH, kW]`, transposed-convolution weights `[I, O/groups, kH, kW]`.
enum ConvolutionOps {
    /// oneDNN's logical weight dims and the tag that describes PyTorch's memory order for them.
    static func weightDesc(_ g: ConvGeometry, transposed: Bool) -> (dims: [Int], plainTag: dnnl_format_tag_t) {
        let o = g.outChannels
        let i = g.inChannels
        let G = g.groups
        if G == 1 {
            return ([o, i, g.kernelH, g.kernelW], transposed ? dnnl_iohw : dnnl_oihw)
        }
        // grouped: oneDNN dims [G, O/G, I/G, kH, kW]
        return ([G, o / G, i / G, g.kernelH, g.kernelW], transposed ? dnnl_giohw : dnnl_goihw)
    }

    static func torchWeightShape(_ g: ConvGeometry, transposed: Bool) -> [Int] {
        transposed
            ? [g.inChannels, g.outChannels / g.groups, g.kernelH, g.kernelW]
            : [g.outChannels, g.inChannels / g.groups, g.kernelH, g.kernelW]
    }

    /// Whether oneDNN's logical weight dims are PyTorch's weight shape (ungrouped convolution), so a weight
    /// can live in the primitive's blocked layout and still be the parameter (see `Parameter.adoptLayout`).
    static func weightDimsAreTorchShape(_ g: ConvGeometry, transposed: Bool) -> Bool { !transposed && g.groups == 1 }

    /// A view of a PyTorch weight tensor with oneDNN's logical dims. Plain weights are relabelled;
    /// a weight already in a oneDNN layout (ungrouped convolutions only) is returned as it is.
    static func weightView(_ w: Tensor, _ g: ConvGeometry, transposed: Bool) throws -> Tensor {
        let expected = torchWeightShape(g, transposed: transposed)
        guard w.shape == expected else {
            throw ComputeError("\(transposed ? "conv_transpose2d" : "conv2d") \(g): weight has shape \(w.shape), expected \(expected)")
        }
        if weightDimsAreTorchShape(g, transposed: transposed) { return w }
        let (dims, tag) = weightDesc(g, transposed: transposed)
        let p = w.plain()
        return Tensor(shape: dims, desc: Layout.tagged(dims, tag), storage: p.storage)
    }

    static func outputShape(_ x: [Int], _ g: ConvGeometry, transposed: Bool) throws -> [Int] {
        let op = transposed ? "conv_transpose2d" : "conv2d"
        try g.validate(op)
        guard x.count == 4 else { throw ComputeError("\(op): input must be [N, C, H, W], got \(x)") }
        guard x[1] == g.inChannels else {
            throw ComputeError("\(op) \(g): input has \(x[1]) channels, expected \(g.inChannels)")
        }
        let (oh, ow) = transposed ? g.deconvOutput(x[2], x[3]) : g.convOutput(x[2], x[3])
        guard oh > 0, ow > 0 else { throw ComputeError("\(op) \(g): input \(x) is too small (output \(oh)x\(ow))") }
        if transposed {
            guard g.padEndH == g.padH, g.padEndW == g.padW else {
                throw ComputeError("\(op) \(g): padding that differs at the end is for convolutions only")
            }
            guard g.outputPadH < max(g.strideH, g.dilationH), g.outputPadW < max(g.strideW, g.dilationW) else {
                throw ComputeError("\(op) \(g): output_padding must be smaller than stride or dilation")
            }
        }
        return [x[0], g.outChannels, oh, ow]
    }

    static func padR(_ g: ConvGeometry, transposed: Bool, x: [Int], y: [Int]) -> [Int64] {
        // oneDNN derives the right padding from the sizes: out = (in + pl + pr - ext) / s + 1 (conv),
        // and the transposed form with in/out swapped.
        let extH = g.dilationH * (g.kernelH - 1) + 1
        let extW = g.dilationW * (g.kernelW - 1) + 1
        let (inH, inW, outH, outW) = transposed ? (y[2], y[3], x[2], x[3]) : (x[2], x[3], y[2], y[3])
        return [
            Int64((outH - 1) * g.strideH + extH - inH - g.padH),
            Int64((outW - 1) * g.strideW + extW - inW - g.padW),
        ]
    }

    /// The smallest output side (rows and columns) at which Winograd is used for a pass, nil for never.
    /// Speed, measured with oneDNN 2.6.3 on AVX-512 by `Benchmarks/conv-algorithms.sh` (batch 16, 64–512
    /// channels): the forward and backward-data passes win from 7×7 maps (1.4× at 7², 2.7× at 56²), are a toss-up
    /// at 6² and lose below; backward-weights wins from 4×4 (1.4×) and loses at 3² (0.5×).
    /// Accuracy: the training forward stays direct. With a Winograd training forward, batch-norm statistics
    /// moved enough that one gradient norm of a random-init ResNet-50 differed from float64 by 1e-2
    /// (direct: 3.4e-3; `Benchmarks/resnet-parity.sh`); the backward passes and the inference forward
    /// match direct convolution's error there.
    static func winogradMinimumSide(_ pass: ConvPass) -> Int? {
        switch pass {
        case .inference, .backwardData: return 7
        case .backwardWeights: return 4
        case .trainingForward: return nil
        }
    }

    /// Whether `pass` of this convolution is worth trying with Winograd (oneDNN may still decline it,
    /// e.g. for channel counts its kernel does not block; then direct is used).
    static func prefersWinograd(
        _ g: ConvGeometry, transposed: Bool, output y: [Int], pass: ConvPass,
        algorithm: ConvolutionAlgorithm = Engine.convolutionAlgorithm
    ) -> Bool {
        guard algorithm == .auto, !transposed, g.groups == 1,
            g.kernelH == 3, g.kernelW == 3, g.strideH == 1, g.strideW == 1,
            g.dilationH == 1, g.dilationW == 1, y.count == 4
        else { return false }
        guard let side = winogradMinimumSide(pass) else { return false }
        return min(y[2], y[3]) >= side
    }

    /// The layout asked for the output (and its gradient): whatever the primitive prefers, except for outputs
    /// of fewer than 16 channels (an image-producing head), which stay plain. A 16-channel blocked layout
    /// would pad 3 channels to 16 and make the convolution and everything after it (Tanh, the final resize,
    /// the loss, their backward passes) handle 5× the data: the decoder's head, its Tanh and resize took 17 %
    /// of a pretraining step that way.
    static func outputLayout(_ y: [Int], _ g: ConvGeometry) -> dnnl_memory_desc_t {
        g.outChannels < 16 ? Layout.plain(y) : Layout.any(y)
    }

    /// Builds a primitive descriptor with Winograd when `winograd` is set and oneDNN implements it for
    /// these shapes and attributes with an implementation the caller prefers, and with direct convolution
    /// otherwise. `make` returns a descriptor and whether its implementation is preferred.
    static func convolutionPD(
        winograd: Bool, _ make: (dnnl_alg_kind_t) throws -> (pd: dnnl_primitive_desc_t, preferred: Bool)
    )
        throws -> dnnl_primitive_desc_t
    {
        if winograd, let made = try? make(dnnl_convolution_winograd) {
            if made.preferred { return made.pd }
            dnnl_primitive_desc_destroy(made.pd)
        }
        return try make(dnnl_convolution_direct).pd
    }

    /// The part of a primitive-cache key that records the algorithm choice.
    static func algorithmKey(_ winograd: Bool) -> String { winograd ? "|wino" : "" }

    // MARK: Forward

    static func forwardPrimitive(
        x: [Int], y: [Int], g: ConvGeometry, bias: Bool, transposed: Bool, training: Bool,
        post: ConvPostOps,
        implementation: ConvolutionImplementation = Engine.convolutionImplementation
    ) throws -> Primitive {
        let wino = prefersWinograd(g, transposed: transposed, output: y, pass: training ? .trainingForward : .inference)
        // Only the inference forward of an ordinary convolution chooses among implementations.
        let choosing = !training && !transposed
        let key =
            "\(transposed ? "deconv" : "conv")F|\(Layout.dims(x))|\(g.key)|b\(bias)|t\(training)|\(post.key)\(algorithmKey(wino))"
            + (choosing ? "|\(implementation.rawValue)" : "")
        return try Engine.shared.primitive(key) {
            try forwardPD(
                x: x, y: y, g: g, bias: bias, transposed: transposed, training: training, post: post, winograd: wino,
                prefer: { !choosing || implementation.accepts($0) })
        }
    }

    /// The implementations oneDNN offers for this inference convolution in the order they are considered:
    /// Winograd's (where `prefersWinograd`), then direct convolution's, each in oneDNN's order. The primitive
    /// runs the first one its `ConvolutionImplementation` accepts, or else oneDNN's first direct one
    /// (diagnostics and tests).
    static func inferenceCandidates(x: [Int], g: ConvGeometry, bias: Bool, post: ConvPostOps = ConvPostOps()) throws -> [String] {
        let y = try outputShape(x, g, transposed: false)
        var names: [String] = []
        let pd = try forwardPD(
            x: x, y: y, g: g, bias: bias, transposed: false, training: false, post: post,
            winograd: prefersWinograd(g, transposed: false, output: y, pass: .inference),
            prefer: {
                names.append($0)
                return false
            })
        dnnl_primitive_desc_destroy(pd)
        return names
    }

    /// The forward primitive descriptor: the first implementation `prefer` accepts (Winograd's first, where
    /// asked for), else oneDNN's first direct one.
    private static func forwardPD(
        x: [Int], y: [Int], g: ConvGeometry, bias: Bool, transposed: Bool, training: Bool,
        post: ConvPostOps, winograd: Bool, prefer: (String) -> Bool
    ) throws -> dnnl_primitive_desc_t {
        var src = Layout.any(x)
        var dst = outputLayout(y, g)
        var wt = Layout.any(weightDesc(g, transposed: transposed).dims)
        var b = Layout.tagged([g.outChannels], dnnl_a)
        let pr = padR(g, transposed: transposed, x: x, y: y)
        let prop = training ? dnnl_forward_training : dnnl_forward_inference
        let attr = try post.attribute()
        defer { if let attr { dnnl_primitive_attr_destroy(attr) } }
        if transposed {
            var d = dnnl_deconvolution_desc_t()
            try dnnlCheck(
                withBias(bias, &b) { bp in
                    dnnl_dilated_deconvolution_forward_desc_init(
                        &d, prop, dnnl_deconvolution_direct, &src, &wt, bp, &dst,
                        g.strides, g.dilates, g.padL, pr)
                }, "conv_transpose2d \(g) on \(x)")
            return try makePD(&d, attr: attr, prefer: prefer, "conv_transpose2d \(g) on \(x)").pd
        }
        return try convolutionPD(winograd: winograd) { alg in
            var d = dnnl_convolution_desc_t()
            try dnnlCheck(
                withBias(bias, &b) { bp in
                    dnnl_dilated_convolution_forward_desc_init(
                        &d, prop, alg, &src, &wt, bp, &dst,
                        g.strides, g.dilates, g.padL, pr)
                }, "conv2d \(g) on \(x)")
            return try makePD(&d, attr: attr, prefer: prefer, "conv2d \(g) on \(x)")
        }
    }

    /// y = conv(x, w) + b, with optional fused post-ops. `residual` (same shape as y) is required when
    /// `post.sum` is set: it is copied into the output, then the convolution adds into it.
    static func forward(
        _ x: Tensor, weight: Tensor, bias: Tensor?, _ g: ConvGeometry, transposed: Bool = false,
        training: Bool, post: ConvPostOps = ConvPostOps(), residual: Tensor? = nil,
        implementation: ConvolutionImplementation = Engine.convolutionImplementation
    ) throws -> Tensor {
        let p = try forwardPrimitive(
            x: x.shape, y: outputShape(x.shape, g, transposed: transposed), g: g, bias: bias != nil,
            transposed: transposed, training: training, post: post, implementation: implementation)
        return try run(
            p, x, preparedWeight: prepareWeight(weight, g, transposed: transposed, for: p), bias: bias, g,
            transposed: transposed, post: post, residual: residual)
    }

    /// Runs the forward primitive `p` (from `forwardPrimitive`) with a weight already in its layout
    /// (`prepareWeight(_:_:transposed:for: p)`; callers that keep it avoid a reorder per call). With
    /// `consumeResidual`, the result may be written into `residual`'s bytes (the caller must not use it again).
    static func run(
        _ p: Primitive, _ x: Tensor, preparedWeight w: Tensor, bias: Tensor?, _ g: ConvGeometry, transposed: Bool,
        post: ConvPostOps, residual: Tensor? = nil, consumeResidual: Bool = false
    ) throws -> Tensor {
        precondition(Layout.equal(w.desc, p.md(dnnl_query_weights_md)), "conv \(g): weight prepared for another primitive (internal error)")
        let yShape = try outputShape(x.shape, g, transposed: transposed)
        let src = try x.reordered(to: p.md(dnnl_query_src_md))
        let y: Tensor
        if post.sum {
            guard let residual, residual.shape == yShape else {
                throw ComputeError("fused residual add: shortcut shape \(residual?.shape ?? []) differs from \(yShape)")
            }
            let dstDesc = p.md(dnnl_query_dst_md)
            if consumeResidual && Layout.equal(residual.desc, dstDesc) {
                y = residual  // accumulate into the shortcut's own bytes: the caller no longer needs them
            } else {
                y = Tensor(shape: yShape, desc: dstDesc)
                try Reorder.run(from: residual, to: y)
            }
        } else {
            y = Tensor(shape: yShape, desc: p.md(dnnl_query_dst_md))
        }
        var args: [(Int32, Tensor)] = [(DNNL_ARG_SRC, src), (DNNL_ARG_WEIGHTS, w), (DNNL_ARG_DST, y)]
        if let bias {
            guard bias.shape == [g.outChannels] else {
                throw ComputeError("conv \(g): bias has shape \(bias.shape), expected [\(g.outChannels)]")
            }
            args.append((DNNL_ARG_BIAS, bias.plain()))
        }
        try p.execute(args)
        return y
    }

    /// The weight reordered to the layout primitive `p` wants.
    static func prepareWeight(
        _ weight: Tensor, _ g: ConvGeometry, transposed: Bool, for p: Primitive,
        query: dnnl_query_t = dnnl_query_weights_md
    ) throws -> Tensor {
        let target = p.md(query)
        let view = try weightView(weight, g, transposed: transposed)
        // oneDNN reorders into its Winograd weight format only from a plain layout; a weight that training
        // moved into a blocked layout goes through plain first.
        if target.format_kind == dnnl_format_kind_wino && !view.isPlain { return try view.plain().reordered(to: target) }
        return try view.reordered(to: target)
    }

    /// The training forward primitive for input shape `x` (its weight layout is the one training keeps).
    static func trainingForwardPrimitive(bias: Bool, x: [Int], _ g: ConvGeometry, transposed: Bool) throws -> Primitive {
        let y = try outputShape(x, g, transposed: transposed)
        return try forwardPrimitive(x: x, y: y, g: g, bias: bias, transposed: transposed, training: true, post: ConvPostOps())
    }

    // MARK: Backward

    /// Gradient with respect to the input.
    /// `prepared`: the same weight already in the training forward's layout; used as is when backward-data
    /// wants that layout (the usual case), which saves a reorder of the plain weight.
    static func backwardData(
        _ dy: Tensor, weight: Tensor, inputShape x: [Int], _ g: ConvGeometry,
        transposed: Bool, prepared: Tensor? = nil
    ) throws -> Tensor {
        let p = try backwardDataPrimitive(x: x, y: dy.shape, g: g, transposed: transposed)
        let gy = try dy.reordered(to: p.md(dnnl_query_diff_dst_md))
        let wantedWeight = p.md(dnnl_query_weights_md)
        let w = try prepared.flatMap { Layout.equal($0.desc, wantedWeight) ? $0 : nil } ?? prepareWeight(weight, g, transposed: transposed, for: p)
        let dx = Tensor(shape: x, desc: p.md(dnnl_query_diff_src_md))
        try p.execute([(DNNL_ARG_DIFF_DST, gy), (DNNL_ARG_WEIGHTS, w), (DNNL_ARG_DIFF_SRC, dx)])
        return dx
    }

    /// The cached primitive of one backward pass: keyed by pass, shapes, geometry, bias and algorithm, built by
    /// `make` with the training forward as its hint and whether to try Winograd.
    static func backwardPrimitive(
        _ pass: ConvPass, x: [Int], y: [Int], g: ConvGeometry, bias: Bool, transposed: Bool,
        make: (_ hint: dnnl_primitive_desc_t, _ winograd: Bool) throws -> dnnl_primitive_desc_t
    ) throws -> Primitive {
        let fwd = try forwardPrimitive(x: x, y: y, g: g, bias: bias, transposed: transposed, training: true, post: ConvPostOps())
        let wino = prefersWinograd(g, transposed: transposed, output: y, pass: pass)
        let key = "\(transposed ? "deconv" : "conv")\(pass == .backwardData ? "BD" : "BW")|\(Layout.dims(x))|\(g.key)|b\(bias)\(algorithmKey(wino))"
        return try Engine.shared.primitive(key) { try make(fwd.pd, wino) }
    }

    static func backwardDataPrimitive(x: [Int], y: [Int], g: ConvGeometry, transposed: Bool) throws -> Primitive {
        try backwardPrimitive(.backwardData, x: x, y: y, g: g, bias: false, transposed: transposed) { hint, wino in
            var dsrc = Layout.any(x)
            var ddst = outputLayout(y, g)
            var wt = Layout.any(weightDesc(g, transposed: transposed).dims)
            let pr = padR(g, transposed: transposed, x: x, y: y)
            if transposed {
                var d = dnnl_deconvolution_desc_t()
                try dnnlCheck(
                    dnnl_dilated_deconvolution_backward_data_desc_init(
                        &d, dnnl_deconvolution_direct, &dsrc, &wt, &ddst,
                        g.strides, g.dilates, g.padL, pr), "conv_transpose2d backward-data \(g)")
                return try makePD(&d, hint: hint, "conv_transpose2d backward-data \(g) on \(x)")
            } else {
                return try convolutionPD(winograd: wino) { alg in
                    var d = dnnl_convolution_desc_t()
                    try dnnlCheck(
                        dnnl_dilated_convolution_backward_data_desc_init(
                            &d, alg, &dsrc, &wt, &ddst,
                            g.strides, g.dilates, g.padL, pr), "conv2d backward-data \(g)")
                    return (try makePD(&d, hint: hint, "conv2d backward-data \(g) on \(x)"), true)
                }
            }
        }
    }

    /// Gradients with respect to the weight (PyTorch's shape; the primitive's layout for ungrouped
    /// convolutions, plain otherwise) and the bias.
    static func backwardWeights(
        _ dy: Tensor, input xT: Tensor, _ g: ConvGeometry, bias: Bool,
        transposed: Bool
    ) throws -> (weight: Tensor, bias: Tensor?) {
        let x = xT.shape
        let p = try backwardWeightsPrimitive(x: x, y: dy.shape, g: g, bias: bias, transposed: transposed)
        if !transposed && !bias && DepthwiseConvolution.isDepthwise(g) && p.implementation.contains("gemm") {
            return (try DepthwiseConvolution.backwardWeights(dy, input: xT, g), nil)
        }
        let src = try xT.reordered(to: p.md(dnnl_query_src_md))
        let gy = try dy.reordered(to: p.md(dnnl_query_diff_dst_md))
        let (wdims, wtag) = weightDesc(g, transposed: transposed)
        let dw = Tensor(shape: wdims, desc: p.md(dnnl_query_diff_weights_md))
        var args: [(Int32, Tensor)] = [(DNNL_ARG_SRC, src), (DNNL_ARG_DIFF_DST, gy), (DNNL_ARG_DIFF_WEIGHTS, dw)]
        var db: Tensor? = nil
        if bias {
            db = Tensor.zeros([g.outChannels])
            args.append((DNNL_ARG_DIFF_BIAS, db!))
        }
        try p.execute(args)
        // Ungrouped convolutions: the gradient stays in the primitive's layout (in practice the forward's, so it
        // adds straight into a weight kept in that layout; `Parameter.accumulate` reorders when it is not).
        // Otherwise back to PyTorch's memory order, relabelled.
        if weightDimsAreTorchShape(g, transposed: transposed) { return (dw, db) }
        let torchLayout = Tensor(shape: wdims, desc: Layout.tagged(wdims, wtag))
        try Reorder.run(from: dw, to: torchLayout)
        let tshape = torchWeightShape(g, transposed: transposed)
        return (Tensor(shape: tshape, desc: Layout.plain(tshape), storage: torchLayout.storage), db)
    }

    static func backwardWeightsPrimitive(x: [Int], y: [Int], g: ConvGeometry, bias: Bool, transposed: Bool) throws -> Primitive {
        try backwardPrimitive(.backwardWeights, x: x, y: y, g: g, bias: bias, transposed: transposed) { hint, wino in
            var src = Layout.any(x)
            var ddst = outputLayout(y, g)
            var dw = Layout.any(weightDesc(g, transposed: transposed).dims)
            var db = Layout.tagged([g.outChannels], dnnl_a)
            let pr = padR(g, transposed: transposed, x: x, y: y)
            if transposed {
                var d = dnnl_deconvolution_desc_t()
                try dnnlCheck(
                    withBias(bias, &db) { bp in
                        dnnl_dilated_deconvolution_backward_weights_desc_init(
                            &d, dnnl_deconvolution_direct,
                            &src, &dw, bp, &ddst, g.strides, g.dilates, g.padL, pr)
                    }, "conv_transpose2d backward-weights \(g)")
                return try makePD(&d, hint: hint, "conv_transpose2d backward-weights \(g) on \(x)")
            } else {
                return try convolutionPD(winograd: wino) { alg in
                    var d = dnnl_convolution_desc_t()
                    try dnnlCheck(
                        withBias(bias, &db) { bp in
                            dnnl_dilated_convolution_backward_weights_desc_init(
                                &d, alg,
                                &src, &dw, bp, &ddst, g.strides, g.dilates, g.padL, pr)
                        }, "conv2d backward-weights \(g)")
                    return (try makePD(&d, hint: hint, "conv2d backward-weights \(g) on \(x)"), true)
                }
            }
        }
    }

    /// The oneDNN implementations a training step of this convolution runs (e.g. "jit_wino_4x3:avx512_core"),
    /// for tests and diagnostics.
    static func trainingImplementations(
        x: [Int], _ g: ConvGeometry, bias: Bool, transposed: Bool = false
    ) throws
        -> (forward: String, backwardData: String, backwardWeights: String)
    {
        let y = try outputShape(x, g, transposed: transposed)
        return (
            try forwardPrimitive(x: x, y: y, g: g, bias: bias, transposed: transposed, training: true, post: ConvPostOps()).implementation,
            try backwardDataPrimitive(x: x, y: y, g: g, transposed: transposed).implementation,
            try backwardWeightsPrimitive(x: x, y: y, g: g, bias: bias, transposed: transposed).implementation
        )
    }
}

/// Calls `body` with a pointer to `desc`, or nil when there is no bias.
@inline(__always)
func withBias(
    _ has: Bool, _ desc: inout dnnl_memory_desc_t,
    _ body: (UnsafePointer<dnnl_memory_desc_t>?) -> dnnl_status_t
) -> dnnl_status_t {
    if has { return withUnsafePointer(to: &desc) { body($0) } }
    return body(nil)
}
