/// A plain float32 tensor on the host: a shape and its values in row-major (C) order.
///
/// This is the exchange type between files (safetensors, PyTorch checkpoints) and the oneDNN `Tensor`.
///
/// ```swift
/// let t = try HostTensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
/// t.count   // 6
/// ```
public struct HostTensor: Sendable, Equatable {
    /// Dimensions, outermost first (e.g. `[out, in, kH, kW]` for a convolution weight). `[]` is a scalar.
    public var shape: [Int]
    /// Row-major values; `values.count == HostTensor.elementCount(of: shape)`.
    public var values: [Float]

    /// Creates a tensor, checking that `values` holds exactly `product(shape)` elements.
    /// - Throws: `HostTensorShapeError` when a dimension is negative or the count does not match.
    public init(shape: [Int], values: [Float]) throws(HostTensorShapeError) {
        guard let count = HostTensor.elementCount(of: shape) else {
            throw HostTensorShapeError(shape: shape, valueCount: values.count)
        }
        guard count == values.count else {
            throw HostTensorShapeError(shape: shape, valueCount: values.count)
        }
        self.shape = shape
        self.values = values
    }

    /// A tensor of zeros, or `nil` when `shape` has a negative dimension or overflows `Int`.
    public init?(zeros shape: [Int]) {
        guard let count = HostTensor.elementCount(of: shape) else { return nil }
        self.shape = shape
        self.values = [Float](repeating: 0, count: count)
    }

    /// Number of elements, `values.count`.
    public var count: Int { values.count }

    /// `product(shape)` (1 for a scalar `[]`), or `nil` when a dimension is negative or the product overflows.
    public static func elementCount(of shape: [Int]) -> Int? {
        var product = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            product = next
        }
        return product
    }
}

/// A shape and a value count that disagree (or a shape with a negative dimension).
public struct HostTensorShapeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The requested shape.
    public var shape: [Int]
    /// The number of values supplied.
    public var valueCount: Int

    public var description: String {
        "HostTensor: shape \(shape) does not match \(valueCount) values (dimensions must be ≥ 0 and their product equal the value count)"
    }
}

extension HostTensor {
    /// For callers that already know `values.count == product(shape)`.
    init(unchecked shape: [Int], _ values: [Float]) {
        self.shape = shape
        self.values = values
    }
}
