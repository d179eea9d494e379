import Determinism

/// ReLU, Tanh or Sigmoid as a layer (oneDNN eltwise; keeps the input's layout).
public final class ActivationLayer: Layer, @unchecked Sendable {
    public let kind: Activation
    public var isTraining = true
    private var saved: Tensor?

    public init(_ kind: Activation) { self.kind = kind }

    public func forward(_ x: Tensor) throws -> Tensor {
        let y = try EltwiseOps.forward(kind, x, training: isTraining)
        if isTraining { saved = kind.backwardUsesOutput ? y : x }
        return y
    }

    public func backward(_ dy: Tensor) throws -> Tensor {
        guard let s = saved else { throw missingForward(kind.rawValue) }
        saved = nil
        return try EltwiseOps.backward(kind, dy, saved: s)
    }
}

/// Max or average pooling (PyTorch `MaxPool2d` / `AvgPool2d`, `ceil_mode=False`).
public final class Pool2d: Layer, @unchecked Sendable {
    public let geometry: PoolGeometry
    public var isTraining = true
    private var saved: (x: Tensor, workspace: Tensor?)?

    public init(_ geometry: PoolGeometry) { self.geometry = geometry }

    public func forward(_ x: Tensor) throws -> Tensor {
        let (y, ws) = try PoolingOps.forward(geometry, x, training: isTraining)
        if isTraining { saved = (x, ws) }
        return y
    }

    public func backward(_ dy: Tensor) throws -> Tensor {
        guard let s = saved else { throw missingForward("Pool2d") }
        saved = nil
        return try PoolingOps.backward(geometry, dy, x: s.x, workspace: s.workspace)
    }
}

/// Global average pooling `[N, C, H, W]` → `[N, C]` (torchvision's `avgpool` followed by `flatten`).
public final class GlobalAveragePool: Layer, @unchecked Sendable {
    public var isTraining = true
    private var saved: (x: Tensor, geometry: PoolGeometry)?

    public init() {}

    public func forward(_ x: Tensor) throws -> Tensor {
        guard x.shape.count == 4 else { throw ComputeError("global average pool: input must be [N, C, H, W], got \(x.shape)") }
        let g = PoolGeometry(.averageIncludingPadding, kernelH: x.shape[2], kernelW: x.shape[3], strideH: 1, strideW: 1)
        let (y, _) = try PoolingOps.forward(g, x, training: isTraining)
        if isTraining { saved = (x, g) }
        return try y.plain().reshaped([x.shape[0], x.shape[1]])
    }

    public func backward(_ dy: Tensor) throws -> Tensor {
        guard let s = saved else { throw missingForward("GlobalAveragePool") }
        saved = nil
        let dy4 = try dy.reshaped([s.x.shape[0], s.x.shape[1], 1, 1])
        return try PoolingOps.backward(s.geometry, dy4, x: s.x, workspace: nil)
    }
}

/// Fully connected layer, PyTorch `nn.Linear` semantics and names (`weight` `[out, in]`, `bias`).
public final class Linear: Layer, @unchecked Sendable {
    public let inFeatures: Int, outFeatures: Int
    public let weight: Parameter
    public let bias: Parameter?
    public var isTraining = true
    private var savedInput: Tensor?

    /// PyTorch's default init: U(-1/√in, 1/√in) for weight and bias.
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, rng: inout SeededGenerator) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = Parameter(Tensor.randomUniform([outFeatures, inFeatures], low: -bound, high: bound, using: &rng))
        self.bias = bias ? Parameter(Tensor.randomUniform([outFeatures], low: -bound, high: bound, using: &rng)) : nil
    }

    public var ownParameters: [(String, Parameter)] {
        var p = [("weight", weight)]
        if let bias { p.append(("bias", bias)) }
        return p
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        if isTraining { savedInput = x }
        return try InnerProductOps.forward(x, weight: weight.value, bias: bias?.value, training: isTraining)
    }

    public func backward(_ dy: Tensor) throws -> Tensor {
        guard let x = savedInput else { throw missingForward("Linear") }
        savedInput = nil
        let (gw, gb) = try InnerProductOps.backwardWeights(dy, input: x, outFeatures: outFeatures, bias: bias != nil)
        try weight.accumulate(gw)
        if let gb { try bias?.accumulate(gb) }
        return try InnerProductOps.backwardData(dy, weight: weight.value, n: x.shape[0])
    }
}

/// `[N, …]` → `[N, product]`.
public final class Flatten: Layer, @unchecked Sendable {
    public var isTraining = true
    private var inputShape: [Int]?
    public init() {}

    public func forward(_ x: Tensor) throws -> Tensor {
        inputShape = x.shape
        return try x.reshaped([x.shape[0], x.count / max(x.shape[0], 1)])
    }

    public func backward(_ dy: Tensor) throws -> Tensor {
        guard let s = inputShape else { throw missingForward("Flatten") }
        return try dy.reshaped(s)
    }
}

/// Inverted dropout (PyTorch semantics: zero with probability p, scale survivors by 1/(1-p)); identity in eval.
public final class Dropout: Layer, @unchecked Sendable {
    public let probability: Float
    public var isTraining = true
    private var rng: SeededGenerator
    private var mask: [Float]?

    public init(_ probability: Float, seed: UInt64) {
        precondition(probability >= 0 && probability < 1, "dropout probability must be in [0, 1)")
        self.probability = probability
        rng = SeededGenerator(seed: seed)
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        guard isTraining, probability > 0 else { return x }
        let scale = 1 / (1 - probability)
        let m = (0..<x.count).map { _ in rng.nextUniform() < probability ? Float(0) : scale }
        mask = m
        let y = x.copy()
        y.withMutableValues { v in for i in v.indices { v[i] *= m[i] } }
        return y
    }

    public func backward(_ dy: Tensor) throws -> Tensor {
        guard isTraining, probability > 0 else { return dy }
        guard let m = mask else { throw missingForward("Dropout") }
        let dx = dy.copy()
        dx.withMutableValues { v in for i in v.indices { v[i] *= m[i] } }
        return dx
    }
}

/// Bilinear resize to a fixed size, PyTorch `F.interpolate(mode='bilinear', align_corners=False)`.
public final class BilinearResize: Layer, @unchecked Sendable {
    /// Target size; may change between calls (identity when the input already has it).
    public var height: Int, width: Int
    public var isTraining = true
    private var savedInput: Tensor?

    public init(height: Int, width: Int) {
        self.height = height
        self.width = width
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        if isTraining { savedInput = x }
        return try ResampleOps.forward(x, to: (height, width), training: isTraining)
    }

    public func backward(_ dy: Tensor) throws -> Tensor {
        guard let x = savedInput else { throw missingForward("BilinearResize") }
        savedInput = nil
        return try ResampleOps.backward(dy, input: x)
    }
}

/// Layers applied in order; state-dict names are the indices ("0", "1", …) as in `nn.Sequential`,
/// or the given names.
public final class Sequential: Layer, @unchecked Sendable {
    public let layers: [(String, any Layer)]
    public var isTraining = true

    public init(_ layers: [any Layer]) { self.layers = layers.enumerated().map { (String($0.offset), $0.element) } }
    public init(named layers: [(String, any Layer)]) { self.layers = layers }

    public var children: [(String, any Layer)] { layers }

    public func forward(_ x: Tensor) throws -> Tensor {
        var h = x
        for (_, l) in layers { h = try l.forward(h) }
        return h
    }

    public func backward(_ dy: Tensor) throws -> Tensor {
        var g = dy
        for (_, l) in layers.reversed() { g = try l.backward(g) }
        return g
    }
}

/// Functional forms of the ops without parameters.
public enum Functional {
    /// Element-wise sum of two same-shape tensors (the residual shortcut); keeps `a`'s layout.
    public static func add(_ a: Tensor, _ b: Tensor) throws -> Tensor { try BinaryOps.add(a, b) }

    /// relu(a + b) in one oneDNN primitive (a residual block's end). With `reuseFirst` the result is written
    /// over `a`'s bytes: pass it only when nothing reads `a` afterwards.
    public static func addReLU(_ a: Tensor, _ b: Tensor, reuseFirst: Bool = false) throws -> Tensor {
        try BinaryOps.add(a, b, relu: true, intoFirst: reuseFirst)
    }

    /// The gradient at a ReLU's input from the gradient at its output and the output `y` itself
    /// (the backward of `addReLU`'s ReLU).
    public static func reluBackward(_ dy: Tensor, output y: Tensor) throws -> Tensor { try EltwiseOps.reluBackward(dy, output: y) }

    /// `min(max(x, 0), 6)` (training form: keep the result for `relu6Backward`).
    public static func relu6(_ x: Tensor) throws -> Tensor { try EltwiseOps.forward(.relu6, x, training: true) }

    /// The gradient at a ReLU6's input from the gradient at its output and the output `y` itself.
    public static func relu6Backward(_ dy: Tensor, output y: Tensor) throws -> Tensor { try EltwiseOps.backward(.relu6, dy, saved: y) }

    /// Bilinear resize, `align_corners=False`.
    public static func resize(_ x: Tensor, height: Int, width: Int) throws -> Tensor {
        try ResampleOps.forward(x, to: (height, width), training: false)
    }

    /// Concatenation along `axis` of plain copies of the inputs.
    public static func concat(_ xs: [Tensor], axis: Int) throws -> Tensor {
        guard let first = xs.first else { throw ComputeError("concat of no tensors") }
        let rank = first.shape.count
        guard axis >= 0, axis < rank else { throw ComputeError("concat: axis \(axis) out of range for shape \(first.shape)") }
        for x in xs where x.shape.count != rank || (0..<rank).contains(where: { $0 != axis && x.shape[$0] != first.shape[$0] }) {
            throw ComputeError("concat along axis \(axis): shape \(x.shape) does not match \(first.shape)")
        }
        var outShape = first.shape
        outShape[axis] = xs.reduce(0) { $0 + $1.shape[axis] }
        let outer = first.shape[..<axis].reduce(1, *)
        let inner = first.shape[(axis + 1)...].reduce(1, *)
        let out = Tensor.zeros(outShape)
        out.withMutableValues { o in
            var offset = 0
            for x in xs {
                let span = x.shape[axis] * inner
                x.withValues { v in
                    for b in 0..<outer {
                        let dst = b * outShape[axis] * inner + offset
                        for j in 0..<span { o[dst + j] = v[b * span + j] }
                    }
                }
                offset += span
            }
        }
        return out
    }

    /// Splits the gradient of a concatenation back into the inputs' shapes.
    public static func split(_ g: Tensor, axis: Int, sizes: [Int]) throws -> [Tensor] {
        let inner = g.shape[(axis + 1)...].reduce(1, *)
        let outer = g.shape[..<axis].reduce(1, *)
        guard sizes.reduce(0, +) == g.shape[axis] else { throw ComputeError("split sizes \(sizes) do not sum to \(g.shape[axis])") }
        var result: [Tensor] = []
        var offset = 0
        try g.withValues { v in
            for s in sizes {
                var shape = g.shape
                shape[axis] = s
                var vals = [Float](repeating: 0, count: outer * s * inner)
                for b in 0..<outer {
                    for j in 0..<(s * inner) { vals[b * s * inner + j] = v[b * g.shape[axis] * inner + offset + j] }
                }
                result.append(try Tensor(shape: shape, values: vals))
                offset += s * inner
            }
        }
        return result
    }

    /// Softmax along the last axis of a 2-D tensor (the exponential of `logSoftmax`).
    public static func softmax(_ x: Tensor) throws -> Tensor {
        let out = try logSoftmax(x)
        out.withMutableValues { v in for i in v.indices { v[i] = expf(v[i]) } }
        return out
    }

    /// Log-softmax along the last axis of a 2-D tensor.
    public static func logSoftmax(_ x: Tensor) throws -> Tensor {
        guard x.shape.count == 2 else { throw ComputeError("log_softmax: expected [N, C], got \(x.shape)") }
        let (n, c) = (x.shape[0], x.shape[1])
        let out = x.copy()
        out.withMutableValues { v in
            for r in 0..<n {
                var m = -Float.infinity
                for j in 0..<c { m = max(m, v[r * c + j]) }
                var s: Float = 0
                for j in 0..<c { s += expf(v[r * c + j] - m) }
                let lse = m + logf(s)
                for j in 0..<c { v[r * c + j] -= lse }
            }
        }
        return out
    }
}

#if canImport(Glibc)
    import Glibc
#endif
