import CDNNL

/// A trainable tensor: its value, its accumulated gradient, and a version that changes on every update
/// (so layers can cache derived forms such as reordered or BN-folded weights).
public final class Parameter: @unchecked Sendable {
    /// The value. Plain, except for a convolution weight that training moved into its primitive's blocked
    /// layout (`adoptLayout`), which saves two weight reorders per step. Read it with `toArray()`,
    /// `toHost()` or `plain()`; `assign` writes into whatever layout it has.
    public private(set) var value: Tensor
    /// The gradient accumulated since the last `zeroGrad()`, in the value's layout; nil when none.
    public var grad: Tensor?
    public private(set) var version = 0
    /// The parameter's state-dict name, for messages. `namedParameters` sets it, and a listing from further
    /// out (`encoder.conv1.weight`) replaces one from inside (`conv1.weight`); set it yourself for a parameter
    /// that no layer lists.
    public var label: String?

    public init(_ value: Tensor) { self.value = value.isPlain ? value : value.plain() }

    /// "'layer1.0.conv1.weight' (shape [64, 64, 3, 3])", or just the shape when unnamed.
    var subject: String { (label.map { "'\($0)' " } ?? "") + "(shape \(shape))" }

    public var shape: [Int] { value.shape }

    /// Call after changing `value` in place.
    public func markUpdated() { version &+= 1 }

    /// Replaces the value's contents (shapes must match).
    public func assign(_ t: Tensor) throws {
        try value.assign(t)
        markUpdated()
    }

    /// Keeps the value (and any gradient) in the physical layout `desc` from now on; the values are unchanged.
    /// The layout's logical dims must be the parameter's shape.
    func adoptLayout(_ desc: dnnl_memory_desc_t) throws {
        guard !Layout.equal(value.desc, desc) else { return }
        value = try value.reordered(to: desc)
        if let g = grad { grad = try g.reordered(to: desc) }
    }

    /// Adds `g` to the accumulated gradient (reordered to the value's layout when it differs). The first
    /// gradient is kept by reference and later ones are added into it: pass a tensor nothing else holds.
    public func accumulate(_ g: Tensor) throws {
        guard g.shape == value.shape else {
            throw ComputeError("gradient of shape \(g.shape) for parameter \(subject)")
        }
        let gl = try g.reordered(to: value.desc)
        guard let grad else {
            self.grad = gl
            return
        }
        let acc = grad.sharesLayout(with: value) ? grad : try grad.reordered(to: value.desc)
        acc.withMutableStorage { a in gl.withStorage { v in for i in a.indices { a[i] += v[i] } } }
        self.grad = acc
    }

    public func zeroGrad() { grad = nil }
}

/// A network layer with an explicit backward pass.
///
/// Why explicit backward passes instead of a tape: the networks here are static graphs (ResNet, the
/// reference decoder, the DEC head), oneDNN ships each op as a forward/backward primitive pair that wants
/// its own saved state (workspaces, batch statistics, chosen layouts), and a layer that keeps exactly what
/// its backward needs makes memory use predictable and lets inference fuse ops (BN folding, ReLU and
/// residual-add post-ops) without a graph rewriter. Composite layers chain their children's passes.
///
/// Contract: `forward` in training mode saves what `backward` needs; `backward(dy)` returns the gradient
/// with respect to the input and accumulates parameter gradients into `Parameter.grad`.
public protocol Layer: AnyObject {
    func forward(_ x: Tensor) throws -> Tensor
    func backward(_ dy: Tensor) throws -> Tensor
    /// Sub-layers with their state-dict names (e.g. `("layer1", …)`).
    var children: [(String, any Layer)] { get }
    /// This layer's own parameters (e.g. `("weight", …)`).
    var ownParameters: [(String, Parameter)] { get }
    /// This layer's own non-trainable float state (e.g. BN running statistics).
    var ownBuffers: [(String, Tensor)] { get }
    /// Training mode (batch statistics, saved state) or evaluation mode.
    var isTraining: Bool { get set }
}

extension Layer {
    public var children: [(String, any Layer)] { [] }
    public var ownParameters: [(String, Parameter)] { [] }
    public var ownBuffers: [(String, Tensor)] { [] }

    /// All parameters with dotted PyTorch-style names (`layer1.0.conv1.weight`). Labels each parameter with
    /// its most qualified name listed so far, so errors about it (a NaN gradient) can name it.
    public func namedParameters(prefix: String = "") -> [(String, Parameter)] {
        var out = ownParameters.map { (prefix + $0.0, $0.1) }
        for (name, child) in children { out += child.namedParameters(prefix: prefix + name + ".") }
        for (name, p) in out where p.label.map({ name.count > $0.count && name.hasSuffix("." + $0) }) ?? true {
            p.label = name
        }
        return out
    }

    /// All buffers with dotted names.
    public func namedBuffers(prefix: String = "") -> [(String, Tensor)] {
        var out = ownBuffers.map { (prefix + $0.0, $0.1) }
        for (name, child) in children { out += child.namedBuffers(prefix: prefix + name + ".") }
        return out
    }

    /// All layers, depth-first, with dotted names.
    public func namedLayers(prefix: String = "") -> [(String, any Layer)] {
        var out: [(String, any Layer)] = [(prefix, self)]
        for (name, child) in children {
            out += child.namedLayers(prefix: prefix.isEmpty ? name : prefix + "." + name)
        }
        return out
    }

    public var parameters: [Parameter] { namedParameters().map(\.1) }

    /// Switches this layer and all sub-layers between training and evaluation mode.
    public func setTraining(_ on: Bool) {
        isTraining = on
        for (_, c) in children { c.setTraining(on) }
    }

    public func zeroGrad() { for p in parameters { p.zeroGrad() } }

    /// Number of scalar parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
}

func missingForward(_ layer: String) -> ComputeError {
    ComputeError("\(layer).backward called without a training-mode forward pass first")
}
