import Compute

/// A float32 tensor with its state-dict name, e.g. `layer1.0.conv1.weight`.
public struct NamedTensor: Sendable, Equatable {
    /// The state-dict key.
    public var name: String
    /// The values, converted to float32.
    public var tensor: HostTensor

    public init(name: String, tensor: HostTensor) {
        self.name = name
        self.tensor = tensor
    }
}

/// An integer tensor with its state-dict name, e.g. `bn1.num_batches_tracked` (int64, shape `[]`).
public struct NamedIntegerTensor: Sendable, Equatable {
    /// The state-dict key.
    public var name: String
    /// The values, widened to Int64.
    public var tensor: HostIntegerTensor

    public init(name: String, tensor: HostIntegerTensor) {
        self.name = name
        self.tensor = tensor
    }
}

/// What a checkpoint stores for one tensor, before any conversion (for `wbc weights inspect`).
public struct TensorDescription: Sendable, Equatable {
    /// The state-dict key (after prefix stripping).
    public var name: String
    /// The stored element type.
    public var dtype: SafeTensorsDType
    /// The shape, outermost first.
    public var shape: [Int]

    public init(name: String, dtype: SafeTensorsDType, shape: [Int]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
    }
}
