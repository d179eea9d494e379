/// Batch normalization over channels, PyTorch `nn.BatchNorm2d` semantics and names:
/// `weight` (γ), `bias` (β), `running_mean`, `running_var`, `num_batches_tracked`.
///
/// Training normalizes with the batch statistics and updates the running ones with `momentum` (0.1),
/// using the unbiased batch variance for `running_var` as PyTorch does. Evaluation uses the running ones.
public final class BatchNorm2d: Layer, @unchecked Sendable {
    public let channels: Int
    public let eps: Float
    public let momentum: Float
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Tensor
    public let runningVar: Tensor
    public var numBatchesTracked: Int64 = 0
    public var isTraining = true
    /// In training mode, normalise with the running statistics and leave them unchanged, while still
    /// training γ and β and passing gradients through (as when fine-tuning a pretrained network).
    public var freezeStatistics = false
    /// Apply ReLU after the normalisation in the same oneDNN primitive (`dnnl_fuse_norm_relu`): the layer
    /// computes relu(bn(x)) with one pass over memory forward and one backward, instead of two each.
    /// ResNet blocks set it for each batch norm that a ReLU follows.
    public var appliesReLU = false
    private var runningVersion = 0
    private var saved: (x: Tensor, mean: Tensor, variance: Tensor, frozen: Bool, workspace: Tensor?)?

    public init(_ channels: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        self.channels = channels
        self.eps = eps
        self.momentum = momentum
        weight = Parameter(Tensor.filled([channels], 1))
        bias = Parameter(Tensor.zeros([channels]))
        runningMean = Tensor.zeros([channels])
        runningVar = Tensor.filled([channels], 1)
    }

    public var ownParameters: [(String, Parameter)] { [("weight", weight), ("bias", bias)] }
    public var ownBuffers: [(String, Tensor)] { [("running_mean", runningMean), ("running_var", runningVar)] }

    /// Changes whenever γ, β or the running statistics change.
    var stateVersion: String { "\(weight.version).\(bias.version).\(runningVersion)" }

    /// Call after loading running statistics from a file.
    public func markRunningStatisticsUpdated() { runningVersion &+= 1 }

    func checkInput(_ x: Tensor) throws {
        guard x.shape.count == 4, x.shape[1] == channels else {
            throw ComputeError("BatchNorm2d(\(channels)): input must be [N, \(channels), H, W], got \(x.shape)")
        }
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        try checkInput(x)
        if !isTraining {
            return try BatchNormOps.forwardInference(
                x, scale: weight.value, shift: bias.value, mean: runningMean,
                variance: runningVar, eps: eps, relu: appliesReLU)
        }
        if freezeStatistics {
            let mean = runningMean.copy()
            let variance = runningVar.copy()
            let (y, ws) = try BatchNormOps.forwardFrozen(
                x, scale: weight.value, shift: bias.value, mean: mean,
                variance: variance, eps: eps, relu: appliesReLU)
            saved = (x, mean, variance, true, ws)
            return y
        }
        let n = x.shape[0] * x.shape[2] * x.shape[3]
        guard n > 1 else {
            throw ComputeError("BatchNorm2d(\(channels)): training needs more than one value per channel (input \(x.shape)); use a batch larger than 1")
        }
        let (y, mean, variance, ws) = try BatchNormOps.forwardTraining(
            x, scale: weight.value, shift: bias.value, eps: eps,
            relu: appliesReLU)
        saved = (x, mean, variance, false, ws)
        let m = momentum
        let unbias = Float(n) / Float(n - 1)
        runningMean.withMutableValues { rm in
            mean.withValues { bm in
                for i in rm.indices { rm[i] = (1 - m) * rm[i] + m * bm[i] }
            }
        }
        runningVar.withMutableValues { rv in
            variance.withValues { bv in
                for i in rv.indices { rv[i] = (1 - m) * rv[i] + m * bv[i] * unbias }
            }
        }
        numBatchesTracked += 1
        runningVersion &+= 1
        return y
    }

    public func backward(_ dy: Tensor) throws -> Tensor {
        guard let s = saved else { throw missingForward("BatchNorm2d") }
        let (dx, dscale, dshift) = try BatchNormOps.backward(
            dy, x: s.x, scale: weight.value, shift: bias.value, mean: s.mean,
            variance: s.variance, eps: eps, frozen: s.frozen, workspace: s.workspace)
        try weight.accumulate(dscale)
        try bias.accumulate(dshift)
        saved = nil
        return dx
    }

    /// Folds this layer's inference transform into a preceding convolution's weight `[O, …]` and bias.
    func fold(intoWeight w: Tensor, bias b: Tensor?) throws -> (Tensor, Tensor) {
        guard w.shape[0] == channels else {
            throw ComputeError("cannot fold BatchNorm2d(\(channels)) into a convolution with \(w.shape[0]) outputs")
        }
        let gamma = weight.value.toArray()
        let beta = bias.value.toArray()
        let mean = runningMean.toArray()
        let variance = runningVar.toArray()
        let scale = (0..<channels).map { gamma[$0] / (variance[$0] + eps).squareRoot() }
        let folded = w.copy()
        let per = w.count / channels
        folded.withMutableValues { v in
            for o in 0..<channels { for j in 0..<per { v[o * per + j] *= scale[o] } }
        }
        let b0 = b?.toArray() ?? [Float](repeating: 0, count: channels)
        let fb = try Tensor(shape: [channels], values: (0..<channels).map { (b0[$0] - mean[$0]) * scale[$0] + beta[$0] })
        return (folded, fb)
    }
}
