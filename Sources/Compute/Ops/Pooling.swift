import CDNNL

/// Max or average pooling geometry, PyTorch conventions (`ceil_mode = false`).
public struct PoolGeometry: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable { case max, averageIncludingPadding, averageExcludingPadding }
    public var kind: Kind
    public var kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, padH: Int, padW: Int

    public init(_ kind: Kind, kernel: Int, stride: Int? = nil, padding: Int = 0) {
        self.kind = kind
        kernelH = kernel
        kernelW = kernel
        strideH = stride ?? kernel
        strideW = stride ?? kernel
        padH = padding
        padW = padding
    }

    public init(_ kind: Kind, kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, padH: Int = 0, padW: Int = 0) {
        self.kind = kind
        self.kernelH = kernelH
        self.kernelW = kernelW
        self.strideH = strideH
        self.strideW = strideW
        self.padH = padH
        self.padW = padW
    }

    public var description: String { "\(kind.rawValue) k\(kernelH)x\(kernelW) s\(strideH)x\(strideW) p\(padH)x\(padW)" }

    var algorithm: dnnl_alg_kind_t {
        switch kind {
        case .max: return dnnl_pooling_max
        case .averageIncludingPadding: return dnnl_pooling_avg_include_padding
        case .averageExcludingPadding: return dnnl_pooling_avg_exclude_padding
        }
    }

    func outputShape(_ x: [Int]) throws -> [Int] {
        guard x.count == 4 else { throw ComputeError("pool \(self): input must be [N, C, H, W], got \(x)") }
        guard kernelH > 0, kernelW > 0, strideH > 0, strideW > 0, padH >= 0, padW >= 0,
            padH * 2 <= kernelH, padW * 2 <= kernelW
        else {
            throw ComputeError("pool: invalid geometry \(self) (padding must be at most half the kernel)")
        }
        let oh = (x[2] + 2 * padH - kernelH) / strideH + 1
        let ow = (x[3] + 2 * padW - kernelW) / strideW + 1
        guard oh > 0, ow > 0 else { throw ComputeError("pool \(self): input \(x) is smaller than the kernel") }
        return [x[0], x[1], oh, ow]
    }

    func padR(_ x: [Int], _ y: [Int]) -> [Int64] {
        [Int64((y[2] - 1) * strideH + kernelH - x[2] - padH), Int64((y[3] - 1) * strideW + kernelW - x[3] - padW)]
    }
}

enum PoolingOps {
    static func forwardPrimitive(_ g: PoolGeometry, _ x: Tensor, y: [Int], training: Bool) throws -> Primitive {
        let key = "poolF|\(g)|\(Layout.dims(x.shape))|\(Layout.fingerprint(x.desc))|\(training)"
        return try Engine.shared.primitive(key) {
            var d = dnnl_pooling_v2_desc_t()
            var src = x.desc
            var dst = Layout.any(y)
            try dnnlCheck(
                dnnl_pooling_v2_forward_desc_init(
                    &d, training ? dnnl_forward_training : dnnl_forward_inference,
                    g.algorithm, &src, &dst, [Int64(g.strideH), Int64(g.strideW)], [Int64(g.kernelH), Int64(g.kernelW)],
                    [0, 0], [Int64(g.padH), Int64(g.padW)], g.padR(x.shape, y)), "pool \(g) on \(x.shape)")
            return try makePD(&d, "pool \(g) on \(x.shape)")
        }
    }

    /// Returns the output and, for max pooling in training, the workspace backward needs.
    static func forward(_ g: PoolGeometry, _ x: Tensor, training: Bool) throws -> (y: Tensor, workspace: Tensor?) {
        let yShape = try g.outputShape(x.shape)
        let p = try forwardPrimitive(g, x, y: yShape, training: training)
        let y = Tensor(shape: yShape, desc: p.md(dnnl_query_dst_md))
        var args: [(Int32, Tensor)] = [(DNNL_ARG_SRC, x), (DNNL_ARG_DST, y)]
        var ws: Tensor? = nil
        if training && g.kind == .max {
            let wmd = p.md(dnnl_query_workspace_md)
            ws = Tensor(shape: [Layout.byteCount(wmd)], desc: wmd)
            args.append((DNNL_ARG_WORKSPACE, ws!))
        }
        try p.execute(args)
        return (y, ws)
    }

    static func backward(_ g: PoolGeometry, _ dy: Tensor, x: Tensor, workspace: Tensor?) throws -> Tensor {
        let fwd = try forwardPrimitive(g, x, y: dy.shape, training: true)
        let key = "poolB|\(g)|\(Layout.dims(x.shape))|\(Layout.fingerprint(x.desc))"
        let p = try Engine.shared.primitive(key) {
            var d = dnnl_pooling_v2_desc_t()
            var dsrc = x.desc
            var ddst = fwd.md(dnnl_query_dst_md)
            try dnnlCheck(
                dnnl_pooling_v2_backward_desc_init(
                    &d, g.algorithm, &dsrc, &ddst,
                    [Int64(g.strideH), Int64(g.strideW)], [Int64(g.kernelH), Int64(g.kernelW)], [0, 0],
                    [Int64(g.padH), Int64(g.padW)], g.padR(x.shape, dy.shape)), "pool backward \(g)")
            return try makePD(&d, hint: fwd.pd, "pool backward \(g) on \(x.shape)")
        }
        let gy = try dy.reordered(to: p.md(dnnl_query_diff_dst_md))
        let dx = Tensor(shape: x.shape, desc: p.md(dnnl_query_diff_src_md))
        var args: [(Int32, Tensor)] = [(DNNL_ARG_DIFF_DST, gy), (DNNL_ARG_DIFF_SRC, dx)]
        if let workspace { args.append((DNNL_ARG_WORKSPACE, workspace)) }
        try p.execute(args)
        return dx
    }
}
