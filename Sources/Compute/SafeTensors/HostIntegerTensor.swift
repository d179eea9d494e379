/// An integer tensor read from a checkpoint (e.g. BatchNorm's `num_batches_tracked`, int64, shape `[]`).
///
/// Kept apart from `HostTensor` so that integer data can never be mistaken for float weights.
public struct HostIntegerTensor: Sendable, Equatable {
    /// Dimensions, outermost first; `[]` is a scalar.
    public var shape: [Int]
    /// Row-major values widened to Int64.
    public var values: [Int64]

    /// Creates a tensor, checking that `values.count == product(shape)`.
    public init(shape: [Int], values: [Int64]) throws(HostTensorShapeError) {
        guard let count = HostTensor.elementCount(of: shape), count == values.count else {
            throw HostTensorShapeError(shape: shape, valueCount: values.count)
        }
        self.shape = shape
        self.values = values
    }
}
