import CDNNL

/// Fully connected layer math (oneDNN inner product): y = x Wᵀ + b, x `[N, in]`, W `[out, in]`.
enum InnerProductOps {
    static func forwardPrimitive(n: Int, inF: Int, outF: Int, bias: Bool, training: Bool) throws -> Primitive {
        let key = "ipF|\(n)x\(inF)>\(outF)|b\(bias)|\(training)"
        return try Engine.shared.primitive(key) {
            var d = dnnl_inner_product_desc_t()
            var src = Layout.plain([n, inF])
            var w = Layout.plain([outF, inF])
            var b = Layout.plain([outF])
            var dst = Layout.plain([n, outF])
            try dnnlCheck(
                withBias(bias, &b) { bp in
                    dnnl_inner_product_forward_desc_init(&d, training ? dnnl_forward_training : dnnl_forward_inference, &src, &w, bp, &dst)
                }, "linear \(inF)->\(outF)")
            return try makePD(&d, "linear \(inF)->\(outF) on [\(n), \(inF)]")
        }
    }

    static func check(_ x: Tensor, _ w: Tensor) throws -> (Int, Int, Int) {
        guard x.shape.count == 2, w.shape.count == 2, x.shape[1] == w.shape[1] else {
            throw ComputeError("linear: input \(x.shape) does not match weight \(w.shape) (expected [N, \(w.shape.last ?? 0)])")
        }
        return (x.shape[0], w.shape[1], w.shape[0])
    }

    static func forward(_ x: Tensor, weight: Tensor, bias: Tensor?, training: Bool) throws -> Tensor {
        let (n, i, o) = try check(x, weight)
        if let bias, bias.shape != [o] { throw ComputeError("linear: bias has shape \(bias.shape), expected [\(o)]") }
        let p = try forwardPrimitive(n: n, inF: i, outF: o, bias: bias != nil, training: training)
        let y = Tensor.zeros([n, o])
        var args: [(Int32, Tensor)] = [(DNNL_ARG_SRC, x.plain()), (DNNL_ARG_WEIGHTS, weight.plain()), (DNNL_ARG_DST, y)]
        if let bias { args.append((DNNL_ARG_BIAS, bias.plain())) }
        try p.execute(args)
        return y
    }

    static func backwardData(_ dy: Tensor, weight: Tensor, n: Int) throws -> Tensor {
        let (o, i) = (weight.shape[0], weight.shape[1])
        let fwd = try forwardPrimitive(n: n, inF: i, outF: o, bias: false, training: true)
        let p = try Engine.shared.primitive("ipBD|\(n)x\(i)>\(o)") {
            var d = dnnl_inner_product_desc_t()
            var dsrc = Layout.plain([n, i])
            var w = Layout.plain([o, i])
            var ddst = Layout.plain([n, o])
            try dnnlCheck(dnnl_inner_product_backward_data_desc_init(&d, &dsrc, &w, &ddst), "linear backward-data")
            return try makePD(&d, hint: fwd.pd, "linear backward-data \(i)->\(o)")
        }
        let dx = Tensor.zeros([n, i])
        try p.execute([(DNNL_ARG_DIFF_DST, dy.plain()), (DNNL_ARG_WEIGHTS, weight.plain()), (DNNL_ARG_DIFF_SRC, dx)])
        return dx
    }

    static func backwardWeights(_ dy: Tensor, input x: Tensor, outFeatures o: Int, bias: Bool) throws -> (Tensor, Tensor?) {
        let (n, i) = (x.shape[0], x.shape[1])
        let fwd = try forwardPrimitive(n: n, inF: i, outF: o, bias: bias, training: true)
        let p = try Engine.shared.primitive("ipBW|\(n)x\(i)>\(o)|b\(bias)") {
            var d = dnnl_inner_product_desc_t()
            var src = Layout.plain([n, i])
            var dw = Layout.plain([o, i])
            var db = Layout.plain([o])
            var ddst = Layout.plain([n, o])
            try dnnlCheck(
                withBias(bias, &db) { bp in dnnl_inner_product_backward_weights_desc_init(&d, &src, &dw, bp, &ddst) },
                "linear backward-weights")
            return try makePD(&d, hint: fwd.pd, "linear backward-weights \(i)->\(o)")
        }
        let dw = Tensor.zeros([o, i])
        var args: [(Int32, Tensor)] = [(DNNL_ARG_SRC, x.plain()), (DNNL_ARG_DIFF_DST, dy.plain()), (DNNL_ARG_DIFF_WEIGHTS, dw)]
        var db: Tensor? = nil
        if bias {
            db = Tensor.zeros([o])
            args.append((DNNL_ARG_DIFF_BIAS, db!))
        }
        try p.execute(args)
        return (dw, db)
    }
}

/// Matrix products through oneDNN matmul: C = A·B (optionally with B transposed), A `[M, K]`.
public enum MatrixOps {
    /// `a` `[M, K]` times `b` (`[K, N]`, or `[N, K]` when `transposeB`) → `[M, N]`.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeB: Bool = false) throws -> Tensor {
        guard a.shape.count == 2, b.shape.count == 2 else {
            throw ComputeError("matmul: operands must be 2-D, got \(a.shape) and \(b.shape)")
        }
        let (m, k) = (a.shape[0], a.shape[1])
        let (kb, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard k == kb else { throw ComputeError("matmul: inner dimensions differ: \(a.shape) · \(b.shape)\(transposeB ? "ᵀ" : "")") }
        let p = try Engine.shared.primitive("matmul|\(m)x\(k)x\(n)|t\(transposeB)") {
            var d = dnnl_matmul_desc_t()
            var am = Layout.plain([m, k])
            var cm = Layout.plain([m, n])
            var bm = transposeB ? Layout.tagged([k, n], dnnl_ba) : Layout.plain([k, n])
            try dnnlCheck(dnnl_matmul_desc_init(&d, &am, &bm, nil, &cm), "matmul \(m)x\(k)x\(n)")
            return try makePD(&d, "matmul \(m)x\(k)x\(n)")
        }
        let bp = b.plain()
        let bView = transposeB ? Tensor(shape: [k, n], desc: Layout.tagged([k, n], dnnl_ba), storage: bp.storage) : bp
        let c = Tensor.zeros([m, n])
        try p.execute([(DNNL_ARG_SRC, a.plain()), (DNNL_ARG_WEIGHTS, bView), (DNNL_ARG_DST, c)])
        return c
    }
}
