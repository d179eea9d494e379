import CDNNL

/// Batch normalization over the channel axis of an `[N, C, H, W]` tensor in any layout (oneDNN).
enum BatchNormOps {
    /// The primitive flags: scale and shift, plus global statistics (inference, frozen) and a fused ReLU.
    static func flags(globalStats: Bool, relu: Bool) -> UInt32 {
        dnnl_use_scale.rawValue | dnnl_use_shift.rawValue | (globalStats ? dnnl_use_global_stats.rawValue : 0) | (relu ? dnnl_fuse_norm_relu.rawValue : 0)
    }

    static func forwardPrimitive(_ x: Tensor, training: Bool, eps: Float, relu: Bool = false) throws -> Primitive {
        let key = "bnF|\(Layout.dims(x.shape))|\(Layout.fingerprint(x.desc))|t\(training)|\(eps)|r\(relu)"
        return try Engine.shared.primitive(key) {
            var d = dnnl_batch_normalization_desc_t()
            var data = x.desc
            try dnnlCheck(
                dnnl_batch_normalization_forward_desc_init(
                    &d, training ? dnnl_forward_training : dnnl_forward_inference,
                    &data, eps, flags(globalStats: !training, relu: relu)),
                "batch_norm on \(x.shape)")
            return try makePD(&d, "batch_norm on \(x.shape)")
        }
    }

    /// Runs forward primitive `p` on `x` with the statistics `mean` and `variance` (outputs of a training
    /// forward, inputs otherwise). `keepsMask`: the primitive fuses a ReLU and its backward will run, so it
    /// writes the ReLU mask into a workspace, returned for the backward.
    private static func run(
        _ p: Primitive, _ x: Tensor, scale: Tensor, shift: Tensor, mean: Tensor, variance: Tensor,
        keepsMask: Bool
    ) throws -> (y: Tensor, workspace: Tensor?) {
        let y = Tensor(shape: x.shape, desc: p.md(dnnl_query_dst_md))
        let ws = keepsMask ? Tensor(shape: [Layout.byteCount(p.md(dnnl_query_workspace_md))], desc: p.md(dnnl_query_workspace_md)) : nil
        var args: [(Int32, Tensor)] = [
            (DNNL_ARG_SRC, x), (DNNL_ARG_DST, y), (DNNL_ARG_SCALE, scale), (DNNL_ARG_SHIFT, shift),
            (DNNL_ARG_MEAN, mean), (DNNL_ARG_VARIANCE, variance),
        ]
        if let ws { args.append((DNNL_ARG_WORKSPACE, ws)) }
        try p.execute(args)
        return (y, ws)
    }

    /// Training: normalizes with the batch statistics and returns them (mean, biased variance), and the
    /// workspace of a fused ReLU.
    static func forwardTraining(
        _ x: Tensor, scale: Tensor, shift: Tensor, eps: Float, relu: Bool = false
    ) throws
        -> (y: Tensor, mean: Tensor, variance: Tensor, workspace: Tensor?)
    {
        let c = x.shape[1]
        let mean = Tensor.zeros([c])
        let variance = Tensor.zeros([c])
        let (y, ws) = try run(
            forwardPrimitive(x, training: true, eps: eps, relu: relu), x, scale: scale, shift: shift,
            mean: mean, variance: variance, keepsMask: relu)
        return (y, mean, variance, ws)
    }

    /// Inference: normalizes with the given (running) statistics.
    static func forwardInference(
        _ x: Tensor, scale: Tensor, shift: Tensor, mean: Tensor, variance: Tensor,
        eps: Float, relu: Bool = false
    ) throws -> Tensor {
        try run(
            forwardPrimitive(x, training: false, eps: eps, relu: relu), x, scale: scale, shift: shift,
            mean: mean, variance: variance, keepsMask: false
        ).y
    }

    /// Forward with fixed (running) statistics whose backward is still available (frozen batch norm).
    static func forwardFrozen(
        _ x: Tensor, scale: Tensor, shift: Tensor, mean: Tensor, variance: Tensor, eps: Float,
        relu: Bool = false
    ) throws -> (y: Tensor, workspace: Tensor?) {
        try run(
            frozenPrimitive(x, eps: eps, relu: relu), x, scale: scale, shift: shift, mean: mean, variance: variance,
            keepsMask: relu)
    }

    static func frozenPrimitive(_ x: Tensor, eps: Float, relu: Bool = false) throws -> Primitive {
        try Engine.shared.primitive("bnFz|\(Layout.dims(x.shape))|\(Layout.fingerprint(x.desc))|\(eps)|r\(relu)") {
            var d = dnnl_batch_normalization_desc_t()
            var data = x.desc
            try dnnlCheck(
                dnnl_batch_normalization_forward_desc_init(
                    &d, dnnl_forward_training, &data, eps,
                    flags(globalStats: true, relu: relu)), "frozen batch_norm on \(x.shape)")
            return try makePD(&d, "frozen batch_norm on \(x.shape)")
        }
    }

    /// Gradients with respect to the input, scale (gamma) and shift (beta), given the statistics the forward
    /// pass used (batch statistics, or the running ones when `frozen`). With a fused ReLU, `workspace` is the
    /// forward's ReLU mask and the gradient goes back through the ReLU too.
    static func backward(
        _ dy: Tensor, x: Tensor, scale: Tensor, shift: Tensor, mean: Tensor, variance: Tensor, eps: Float,
        frozen: Bool = false, workspace: Tensor? = nil
    ) throws -> (dx: Tensor, dscale: Tensor, dshift: Tensor) {
        let relu = workspace != nil
        let fwd = frozen ? try frozenPrimitive(x, eps: eps, relu: relu) : try forwardPrimitive(x, training: true, eps: eps, relu: relu)
        let key = "bnB|\(Layout.dims(x.shape))|\(Layout.fingerprint(x.desc))|\(eps)|\(frozen)|r\(relu)"
        let p = try Engine.shared.primitive(key) {
            var d = dnnl_batch_normalization_desc_t()
            var data = x.desc
            var diff = x.desc
            try dnnlCheck(
                dnnl_batch_normalization_backward_desc_init(
                    &d, dnnl_backward, &diff, &data, eps,
                    flags(globalStats: frozen, relu: relu)),
                "batch_norm backward on \(x.shape)")
            return try makePD(&d, hint: fwd.pd, "batch_norm backward on \(x.shape)")
        }
        let gy = try dy.reordered(to: p.md(dnnl_query_diff_dst_md))
        let dx = Tensor(shape: x.shape, desc: p.md(dnnl_query_diff_src_md))
        let c = x.shape[1]
        let dscale = Tensor.zeros([c])
        let dshift = Tensor.zeros([c])
        var args: [(Int32, Tensor)] = [
            (DNNL_ARG_SRC, x), (DNNL_ARG_DIFF_DST, gy), (DNNL_ARG_SCALE, scale), (DNNL_ARG_SHIFT, shift),
            (DNNL_ARG_MEAN, mean), (DNNL_ARG_VARIANCE, variance), (DNNL_ARG_DIFF_SRC, dx),
            (DNNL_ARG_DIFF_SCALE, dscale), (DNNL_ARG_DIFF_SHIFT, dshift),
        ]
        if let workspace { args.append((DNNL_ARG_WORKSPACE, workspace)) }
        try p.execute(args)
        return (dx, dscale, dshift)
    }
}

/// Element-wise activations (oneDNN eltwise), in any layout.
public enum Activation: String, Sendable, Codable, CaseIterable {
    case relu, tanh, sigmoid
    /// `min(max(x, 0), 6)`, PyTorch's `ReLU6`: oneDNN's `clip_v2`, whose gradient is zero at 0 and at 6 as
    /// PyTorch's (`hardtanh_backward` passes it only strictly inside the interval).
    case relu6

    var algorithm: dnnl_alg_kind_t {
        switch self {
        case .relu: return dnnl_eltwise_relu
        case .tanh: return dnnl_eltwise_tanh_use_dst_for_bwd
        case .sigmoid: return dnnl_eltwise_logistic_use_dst_for_bwd
        case .relu6: return dnnl_eltwise_clip_v2_use_dst_for_bwd
        }
    }
    /// oneDNN's α and β for the algorithm (the clip bounds of ReLU6).
    var alpha: Float { 0 }
    var beta: Float { self == .relu6 ? 6 : 0 }
    /// Whether backward needs the forward output (true) or input (false).
    var backwardUsesOutput: Bool { self != .relu }
}

enum EltwiseOps {
    static func forwardPrimitive(_ a: Activation, _ x: Tensor, training: Bool) throws -> Primitive {
        let key = "eltF|\(a.rawValue)|\(Layout.dims(x.shape))|\(Layout.fingerprint(x.desc))|\(training)"
        return try Engine.shared.primitive(key) {
            var d = dnnl_eltwise_desc_t()
            var data = x.desc
            try dnnlCheck(
                dnnl_eltwise_forward_desc_init(
                    &d, training ? dnnl_forward_training : dnnl_forward_inference,
                    a.algorithm, &data, a.alpha, a.beta), "\(a.rawValue) on \(x.shape)")
            return try makePD(&d, "\(a.rawValue) on \(x.shape)")
        }
    }

    static func forward(_ a: Activation, _ x: Tensor, training: Bool) throws -> Tensor {
        let p = try forwardPrimitive(a, x, training: training)
        let y = Tensor(shape: x.shape, desc: p.md(dnnl_query_dst_md))
        try p.execute([(DNNL_ARG_SRC, x), (DNNL_ARG_DST, y)])
        return y
    }

    /// The gradient through a ReLU from its output `y` (y > 0 exactly where the input was), for a ReLU that
    /// ran fused into another primitive and left only its output.
    static func reluBackward(_ dy: Tensor, output y: Tensor) throws -> Tensor {
        let key = "eltB|relu_dst|\(Layout.dims(y.shape))|\(Layout.fingerprint(y.desc))"
        let p = try Engine.shared.primitive(key) {
            var data = y.desc
            var diff = y.desc
            var f = dnnl_eltwise_desc_t()
            try dnnlCheck(
                dnnl_eltwise_forward_desc_init(
                    &f, dnnl_forward_training, dnnl_eltwise_relu_use_dst_for_bwd,
                    &data, 0, 0), "relu on \(y.shape)")
            let hint = try makePD(&f, "relu on \(y.shape)")
            defer { dnnl_primitive_desc_destroy(hint) }
            var d = dnnl_eltwise_desc_t()
            try dnnlCheck(
                dnnl_eltwise_backward_desc_init(&d, dnnl_eltwise_relu_use_dst_for_bwd, &diff, &data, 0, 0),
                "relu backward on \(y.shape)")
            return try makePD(&d, hint: hint, "relu backward on \(y.shape)")
        }
        let gy = try dy.reordered(to: p.md(dnnl_query_diff_dst_md))
        let dx = Tensor(shape: y.shape, desc: p.md(dnnl_query_diff_src_md))
        try p.execute([(DNNL_ARG_DST, y), (DNNL_ARG_DIFF_DST, gy), (DNNL_ARG_DIFF_SRC, dx)])
        return dx
    }

    /// `saved` is the forward input for ReLU and the forward output for Tanh/Sigmoid.
    static func backward(_ a: Activation, _ dy: Tensor, saved: Tensor) throws -> Tensor {
        let fwd = try forwardPrimitive(a, saved, training: true)
        let key = "eltB|\(a.rawValue)|\(Layout.dims(saved.shape))|\(Layout.fingerprint(saved.desc))"
        let p = try Engine.shared.primitive(key) {
            var d = dnnl_eltwise_desc_t()
            var data = saved.desc
            var diff = saved.desc
            try dnnlCheck(dnnl_eltwise_backward_desc_init(&d, a.algorithm, &diff, &data, a.alpha, a.beta), "\(a.rawValue) backward")
            return try makePD(&d, hint: fwd.pd, "\(a.rawValue) backward on \(saved.shape)")
        }
        let gy = try dy.reordered(to: p.md(dnnl_query_diff_dst_md))
        let dx = Tensor(shape: saved.shape, desc: p.md(dnnl_query_diff_src_md))
        let dataArg = a.backwardUsesOutput ? DNNL_ARG_DST : DNNL_ARG_SRC
        try p.execute([(dataArg, saved), (DNNL_ARG_DIFF_DST, gy), (DNNL_ARG_DIFF_SRC, dx)])
        return dx
    }
}
