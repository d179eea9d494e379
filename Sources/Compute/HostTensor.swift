/// A plain row-major float32 array with a shape, on the host: the neutral exchange type for files
/// (safetensors, PyTorch checkpoints) and for Swift-side math.
public struct HostTensor: Sendable, Equatable {
    /// Logical shape; `[]` is a scalar.
    public var shape: [Int]
    /// Values in row-major order; `values.count == shape.reduce(1, *)`.
    public var values: [Float]

    /// Creates a host tensor, checking that the values fill the shape.
    public init(shape: [Int], values: [Float]) throws {
        let n = shape.reduce(1, *)
        guard shape.allSatisfy({ $0 >= 0 }), n == values.count else {
            throw ComputeError("shape \(shape) holds \(n) values but \(values.count) were given")
        }
        self.shape = shape
        self.values = values
    }

    init(unchecked shape: [Int], _ values: [Float]) {
        self.shape = shape
        self.values = values
    }

    /// Number of elements.
    public var count: Int { values.count }
}
