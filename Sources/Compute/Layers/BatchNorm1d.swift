/// Batch normalization of `[N, C]` features, PyTorch `nn.BatchNorm1d` semantics and names (`weight`, `bias`,
/// `running_mean`, `running_var`, `num_batches_tracked`): ``BatchNorm2d`` over `[N, C, 1, 1]`.
///
/// BYOL's projector and predictor put one after their first linear layer.
public final class BatchNorm1d: Layer, @unchecked Sendable {
    public let norm: BatchNorm2d
    public var channels: Int { norm.channels }

    public init(_ channels: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        norm = BatchNorm2d(channels, eps: eps, momentum: momentum)
    }

    public var isTraining: Bool {
        get { norm.isTraining }
        set { norm.isTraining = newValue }
    }

    public var ownParameters: [(String, Parameter)] { norm.ownParameters }
    public var ownBuffers: [(String, Tensor)] { norm.ownBuffers }

    public func forward(_ x: Tensor) throws -> Tensor {
        guard x.shape.count == 2, x.shape[1] == channels else {
            throw ComputeError("BatchNorm1d(\(channels)): input must be [N, \(channels)], got \(x.shape)")
        }
        return try norm.forward(x.reshaped([x.shape[0], channels, 1, 1])).reshaped(x.shape)
    }

    public func backward(_ dy: Tensor) throws -> Tensor {
        try norm.backward(dy.reshaped([dy.shape[0], channels, 1, 1])).reshaped(dy.shape)
    }
}
