import CDNNL

/// Bilinear resize with PyTorch's `align_corners=False` semantics (oneDNN linear resampling), any layout.
enum ResampleOps {
    static func forwardPrimitive(_ x: Tensor, to size: (Int, Int), training: Bool) throws -> Primitive {
        let y = [x.shape[0], x.shape[1], size.0, size.1]
        let key = "resF|\(Layout.dims(x.shape))>\(size.0)x\(size.1)|\(Layout.fingerprint(x.desc))|\(training)"
        return try Engine.shared.primitive(key) {
            var d = dnnl_resampling_desc_t()
            var src = x.desc
            var dst = Layout.any(y)
            try dnnlCheck(
                dnnl_resampling_forward_desc_init(
                    &d, training ? dnnl_forward_training : dnnl_forward_inference,
                    dnnl_resampling_linear, nil, &src, &dst),
                "bilinear resize \(x.shape) -> \(size)")
            return try makePD(&d, "bilinear resize \(x.shape) -> \(size)")
        }
    }

    /// Halving both sides: with `align_corners=False` every output sample sits exactly between 2×2 inputs,
    /// each weighted 1/4, so the resize is a 2×2 average pool, forward and backward (the decoder's final
    /// 128² → 64² resize). oneDNN's linear resampling backward on that plain 3-channel map took 23 ms per
    /// batch of 32 (its reference implementation); the pool takes a fraction of it. The forward can differ
    /// from the interpolation's rounding by an ulp; the backward (dy/4 to each input) is identical.
    static func halves(_ x: [Int], _ size: (Int, Int)) -> Bool { x[2] == 2 * size.0 && x[3] == 2 * size.1 }
    static let halving = PoolGeometry(.averageIncludingPadding, kernel: 2, stride: 2)

    static func forward(_ x: Tensor, to size: (Int, Int), training: Bool) throws -> Tensor {
        guard x.shape.count == 4, size.0 > 0, size.1 > 0 else {
            throw ComputeError("bilinear resize: input must be [N, C, H, W] and the size positive, got \(x.shape) -> \(size)")
        }
        if x.shape[2] == size.0 && x.shape[3] == size.1 { return x }
        if halves(x.shape, size) { return try PoolingOps.forward(halving, x, training: training).y }
        let p = try forwardPrimitive(x, to: size, training: training)
        let y = Tensor(shape: [x.shape[0], x.shape[1], size.0, size.1], desc: p.md(dnnl_query_dst_md))
        try p.execute([(DNNL_ARG_SRC, x), (DNNL_ARG_DST, y)])
        return y
    }

    static func backward(_ dy: Tensor, input x: Tensor) throws -> Tensor {
        if dy.shape == x.shape { return dy }
        let size = (dy.shape[2], dy.shape[3])
        if halves(x.shape, size) { return try PoolingOps.backward(halving, dy, x: x, workspace: nil) }
        let fwd = try forwardPrimitive(x, to: size, training: true)
        let key = "resB|\(Layout.dims(x.shape))>\(size.0)x\(size.1)|\(Layout.fingerprint(x.desc))"
        let p = try Engine.shared.primitive(key) {
            var d = dnnl_resampling_desc_t()
            var dsrc = x.desc
            var ddst = fwd.md(dnnl_query_dst_md)
            try dnnlCheck(
                dnnl_resampling_backward_desc_init(&d, dnnl_resampling_linear, nil, &dsrc, &ddst),
                "bilinear resize backward")
            return try makePD(&d, hint: fwd.pd, "bilinear resize backward \(x.shape)")
        }
        let gy = try dy.reordered(to: p.md(dnnl_query_diff_dst_md))
        let dx = Tensor(shape: x.shape, desc: p.md(dnnl_query_diff_src_md))
        try p.execute([(DNNL_ARG_DIFF_DST, gy), (DNNL_ARG_DIFF_SRC, dx)])
        return dx
    }
}

/// Element-wise binary ops between same-shape tensors (oneDNN binary), keeping the first operand's layout.
enum BinaryOps {
    /// a + b, or relu(a + b) with `relu` (a ReLU post-op in the same primitive). With `intoFirst` the sum is
    /// written over `a`'s bytes (oneDNN runs binary ops in place), saving an allocation of a dead tensor.
    static func add(_ a: Tensor, _ b: Tensor, relu: Bool = false, intoFirst: Bool = false) throws -> Tensor {
        guard a.shape == b.shape else { throw ComputeError("add: shapes differ: \(a.shape) and \(b.shape)") }
        let bb = try b.reordered(to: a.desc)
        let key = "add|\(Layout.dims(a.shape))|\(Layout.fingerprint(a.desc))|r\(relu)"
        let p = try Engine.shared.primitive(key) {
            var d = dnnl_binary_desc_t()
            var s0 = a.desc
            var s1 = a.desc
            var dst = a.desc
            try dnnlCheck(dnnl_binary_desc_init(&d, dnnl_binary_add, &s0, &s1, &dst), "add \(a.shape)")
            let attr = try ConvPostOps(relu: relu).attribute()
            defer { if let attr { dnnl_primitive_attr_destroy(attr) } }
            return try makePD(&d, attr: attr, "add \(a.shape)")
        }
        let y = intoFirst ? a : Tensor(shape: a.shape, desc: a.desc)
        try p.execute([(DNNL_ARG_SRC_0, a), (DNNL_ARG_SRC_1, bb), (DNNL_ARG_DST, y)])
        return y
    }
}
