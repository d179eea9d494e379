import Foundation

/// `RUN/features-SPLIT.npy` (and `embed`'s `features.npy`): float32 `[N, D]` in assignments.csv order.
public struct FeaturesFile: Sendable {
    public let url: URL
    public init(url: URL) { self.url = url }

    public func write(_ values: [Float], n: Int, d: Int) throws {
        try AtomicText.write(NPY.encode(values, shape: [n, d]), to: url)
    }

    /// The matrix and its shape, or nil when the file is absent or not a float32 `.npy`.
    public func read() -> (values: [Float], shape: [Int])? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? NPY.decode(data)
    }
}
