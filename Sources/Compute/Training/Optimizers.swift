import Parallelism

#if canImport(Glibc)
    import Glibc
#endif

/// An optimizer updates parameters in place from their accumulated gradients, with PyTorch's exact rules.
public protocol Optimizer: AnyObject {
    /// Applies one update to every parameter that has a gradient, then marks it updated.
    func step() throws
    var learningRate: Float { get set }
    /// Named state tensors for checkpointing (e.g. `"3.exp_avg"`), and the step count.
    func stateDict() -> (tensors: [(String, Tensor)], steps: Int)
    func loadState(tensors: [String: Tensor], steps: Int) throws
    /// Gives `parameters` `scale` × the learning rate from now on, as a PyTorch parameter group with its own
    /// `lr` does (a pretrained backbone fine-tuned more gently than a new head).
    func setLearningRateScale(_ scale: Float, for parameters: [Parameter]) throws
}

extension Optimizer {
    public func zeroGrad(_ params: [Parameter]) { for p in params { p.zeroGrad() } }

    public func setLearningRateScale(_ scale: Float, for parameters: [Parameter]) throws {
        guard scale == 1 else { throw ComputeError("\(type(of: self)) has one learning rate for every parameter") }
    }
}

/// Checks every gradient for NaN/Inf before any parameter is touched, so a refused step changes nothing.
func checkGradients(_ params: [Parameter]) throws {
    for (index, p) in params.enumerated() {
        guard let g = p.grad else { continue }
        if let v = g.withStorage({ firstNonFiniteValue($0) }) {
            throw ComputeError("gradient of parameter #\(index) \(p.subject) contains \(v): training diverged; lower the learning rate")
        }
    }
}

/// The first non-finite value in `values` (each thread scans its own slice; the first slice's find wins).
func firstNonFiniteValue(_ values: UnsafeBufferPointer<Float>) -> Float? {
    var found = [Float?](repeating: nil, count: ParallelFor.maximumSlices)
    found.withUnsafeMutableBufferPointer { f in
        ParallelFor.run(values.count) { slice, range in
            // A branch-free scan the compiler vectorises: exactly the non-finite values have every exponent bit set.
            var exponent: UInt32 = 0
            for j in range { exponent = max(exponent, values[j].bitPattern & 0x7F80_0000) }
            if exponent == 0x7F80_0000 { f[slice] = values[range].first { !$0.isFinite } }
        }
    }
    return found.lazy.compactMap { $0 }.first
}

/// The parameter's gradient in the value's layout, so the update loops can run over raw storage.
func alignedGradient(_ p: Parameter) throws -> Tensor? {
    guard let g = p.grad else { return nil }
    return g.sharesLayout(with: p.value) ? g : try g.reordered(to: p.value.desc)
}

/// State buffers keyed by parameter index, created lazily as zeros, kept in their parameter's layout
/// (state loaded from a checkpoint is plain and moves to the parameter's layout on first use).
final class SlotStore: @unchecked Sendable {
    var slots: [String: Tensor] = [:]
    func slot(_ name: String, _ i: Int, like p: Parameter) throws -> Tensor {
        let key = "\(i).\(name)"
        if let t = slots[key] {
            if t.sharesLayout(with: p.value) { return t }
            let moved = try t.reordered(to: p.value.desc)
            slots[key] = moved
            return moved
        }
        let t = p.value.zerosLike()
        slots[key] = t
        return t
    }
    func load(_ tensors: [String: Tensor], params: [Parameter]) throws {
        slots = [:]
        for (k, t) in tensors {
            guard let idx = Int(k.split(separator: ".").first ?? ""), idx < params.count, params[idx].shape == t.shape else {
                throw ComputeError(
                    "optimizer state '\(k)' does not match the model's parameters (shape \(t.shape)); was the checkpoint made for another model?")
            }
            slots[k] = t.copy()
        }
    }
    /// The state in plain layout, sorted by name (for checkpoints).
    var sorted: [(String, Tensor)] { slots.sorted { $0.key < $1.key }.map { ($0.key, $0.value.plain()) } }
}

/// `torch.optim.SGD`: momentum (with dampening), Nesterov, weight decay.
public final class SGD: Optimizer, @unchecked Sendable {
    public let params: [Parameter]
    public var learningRate: Float
    public let momentum: Float, dampening: Float, weightDecay: Float, nesterov: Bool
    private let state = SlotStore()
    private var steps = 0

    public init(
        _ params: [Parameter], lr: Float, momentum: Float = 0, dampening: Float = 0,
        weightDecay: Float = 0, nesterov: Bool = false
    ) {
        // PyTorch refuses the same combination (ValueError) rather than running a different rule. A programming
        // error, not bad input (no flag reaches it); fatalError rather than precondition so release builds print why.
        if nesterov && !(momentum > 0 && dampening == 0) {
            fatalError("SGD: Nesterov momentum needs momentum > 0 and dampening 0 (got momentum \(momentum), dampening \(dampening))")
        }
        self.params = params
        learningRate = lr
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    public func step() throws {
        try checkGradients(params)
        steps += 1
        for (i, p) in params.enumerated() {
            guard let grad = try alignedGradient(p) else { continue }
            let hadBuffer = state.slots["\(i).momentum_buffer"] != nil
            let buf = momentum != 0 ? try state.slot("momentum_buffer", i, like: p) : nil
            grad.withStorage { g in
                p.value.withMutableStorage { w in
                    let bv = buf?.withMutableStorage { $0 }
                    // The common case (momentum after the first step, no Nesterov) as branch-free loops the compiler
                    // vectorises; the arithmetic is the general loop's, operation for operation.
                    if let bv, hadBuffer, !nesterov {
                        let (lr, mom, damp, wd) = (learningRate, momentum, 1 - dampening, weightDecay)
                        if wd == 0 {
                            ParallelFor.run(w.count) { r in
                                for j in r {
                                    bv[j] = mom * bv[j] + damp * g[j]
                                    w[j] -= lr * bv[j]
                                }
                            }
                        } else {
                            ParallelFor.run(w.count) { r in
                                for j in r {
                                    bv[j] = mom * bv[j] + damp * (g[j] + wd * w[j])
                                    w[j] -= lr * bv[j]
                                }
                            }
                        }
                        return
                    }
                    ParallelFor.run(w.count) { r in
                        for j in r {
                            var d = g[j]
                            if weightDecay != 0 { d += weightDecay * w[j] }
                            if let bv {
                                bv[j] = hadBuffer ? momentum * bv[j] + (1 - dampening) * d : d
                                d = nesterov ? d + momentum * bv[j] : bv[j]
                            }
                            w[j] -= learningRate * d
                        }
                    }
                }
            }
            p.markUpdated()
        }
    }

    public func stateDict() -> (tensors: [(String, Tensor)], steps: Int) { (state.sorted, steps) }
    public func loadState(tensors: [String: Tensor], steps: Int) throws {
        try state.load(tensors, params: params)
        self.steps = steps
    }
}

/// `torch.optim.Adam` (L2 weight decay added to the gradient) and `torch.optim.AdamW` (decoupled decay).
/// The bias-correction step count is shared by all parameters (PyTorch keeps one per parameter); they agree
/// whenever every parameter gets a gradient at every step, as in every workflow here.
public final class Adam: Optimizer, @unchecked Sendable {
    public let params: [Parameter]
    public var learningRate: Float
    public let beta1: Float, beta2: Float, eps: Float, weightDecay: Float, decoupled: Bool
    private let state = SlotStore()
    private var steps = 0
    /// Learning-rate multipliers of some parameters (`setLearningRateScale`); 1 for the others.
    private var scales: [ObjectIdentifier: Float] = [:]

    public init(
        _ params: [Parameter], lr: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8,
        weightDecay: Float = 0, decoupled: Bool = false
    ) {
        self.params = params
        learningRate = lr
        beta1 = betas.0
        beta2 = betas.1
        self.eps = eps
        self.weightDecay = weightDecay
        self.decoupled = decoupled
    }

    /// `torch.optim.AdamW` (default weight decay 0.01).
    public static func adamW(
        _ params: [Parameter], lr: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
        eps: Float = 1e-8, weightDecay: Float = 1e-2
    ) -> Adam {
        Adam(params, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, decoupled: true)
    }

    public func step() throws {
        try checkGradients(params)
        steps += 1
        let t = Float(steps)
        let bc1 = 1 - powf(beta1, t)
        let bc2 = 1 - powf(beta2, t)
        let bc2Sqrt = bc2.squareRoot()
        for (i, p) in params.enumerated() {
            guard let grad = try alignedGradient(p) else { continue }
            let learningRate = self.learningRate * (scales[ObjectIdentifier(p)] ?? 1)
            let stepSize = learningRate / bc1
            let m = try state.slot("exp_avg", i, like: p)
            let v = try state.slot("exp_avg_sq", i, like: p)
            grad.withStorage { g in
                p.value.withMutableStorage { w in
                    m.withMutableStorage { mv in
                        v.withMutableStorage { vv in
                            // Branch-free loop for Adam without weight decay in the gradient (the same arithmetic, vectorised).
                            if !decoupled {
                                let (b1, b2, c1, c2, wd) = (beta1, beta2, 1 - beta1, 1 - beta2, weightDecay)
                                let (step, bc, e) = (stepSize, bc2Sqrt, eps)
                                if wd == 0 {
                                    ParallelFor.run(w.count) { r in
                                        for j in r {
                                            let d = g[j]
                                            mv[j] = b1 * mv[j] + c1 * d
                                            vv[j] = b2 * vv[j] + c2 * d * d
                                            w[j] -= step * (mv[j] / (vv[j].squareRoot() / bc + e))
                                        }
                                    }
                                } else {
                                    ParallelFor.run(w.count) { r in
                                        for j in r {
                                            let d = g[j] + wd * w[j]
                                            mv[j] = b1 * mv[j] + c1 * d
                                            vv[j] = b2 * vv[j] + c2 * d * d
                                            w[j] -= step * (mv[j] / (vv[j].squareRoot() / bc + e))
                                        }
                                    }
                                }
                                return
                            }
                            ParallelFor.run(w.count) { r in
                                for j in r {
                                    var d = g[j]
                                    if decoupled { w[j] *= 1 - learningRate * weightDecay } else if weightDecay != 0 { d += weightDecay * w[j] }
                                    mv[j] = beta1 * mv[j] + (1 - beta1) * d
                                    vv[j] = beta2 * vv[j] + (1 - beta2) * d * d
                                    let denom = vv[j].squareRoot() / bc2Sqrt + eps
                                    w[j] -= stepSize * (mv[j] / denom)
                                }
                            }
                        }
                    }
                }
            }
            p.markUpdated()
        }
    }

    public func stateDict() -> (tensors: [(String, Tensor)], steps: Int) { (state.sorted, steps) }
    public func loadState(tensors: [String: Tensor], steps: Int) throws {
        try state.load(tensors, params: params)
        self.steps = steps
    }

    public func setLearningRateScale(_ scale: Float, for parameters: [Parameter]) throws {
        guard scale > 0, scale.isFinite else { throw ComputeError("learning-rate scale must be positive (got \(scale))") }
        for p in parameters { scales[ObjectIdentifier(p)] = scale }
    }
}

/// `torch.optim.Adadelta` (rho 0.9, eps 1e-6, lr 1.0 by default; the reference method uses lr 0.1).
public final class Adadelta: Optimizer, @unchecked Sendable {
    public let params: [Parameter]
    public var learningRate: Float
    public let rho: Float, eps: Float, weightDecay: Float
    private let state = SlotStore()
    private var steps = 0

    public init(_ params: [Parameter], lr: Float = 1.0, rho: Float = 0.9, eps: Float = 1e-6, weightDecay: Float = 0) {
        self.params = params
        learningRate = lr
        self.rho = rho
        self.eps = eps
        self.weightDecay = weightDecay
    }

    public func step() throws {
        try checkGradients(params)
        steps += 1
        for (i, p) in params.enumerated() {
            guard let grad = try alignedGradient(p) else { continue }
            let sq = try state.slot("square_avg", i, like: p)
            let acc = try state.slot("acc_delta", i, like: p)
            grad.withStorage { g in
                p.value.withMutableStorage { w in
                    sq.withMutableStorage { s in
                        acc.withMutableStorage { a in
                            ParallelFor.run(w.count) { r in
                                for j in r {
                                    var d = g[j]
                                    if weightDecay != 0 { d += weightDecay * w[j] }
                                    s[j] = rho * s[j] + (1 - rho) * d * d
                                    let std = (s[j] + eps).squareRoot()
                                    let delta = (a[j] + eps).squareRoot() / std * d
                                    a[j] = rho * a[j] + (1 - rho) * delta * delta
                                    w[j] -= learningRate * delta
                                }
                            }
                        }
                    }
                }
            }
            p.markUpdated()
        }
    }

    public func stateDict() -> (tensors: [(String, Tensor)], steps: Int) { (state.sorted, steps) }
    public func loadState(tensors: [String: Tensor], steps: Int) throws {
        try state.load(tensors, params: params)
        self.steps = steps
    }
}
