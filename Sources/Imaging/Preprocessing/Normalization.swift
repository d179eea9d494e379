/// How pixel values (first scaled to [0, 1]) are normalised before entering the network.
/// Saved with a model (`Codable`) so inference uses exactly the training statistics.
///
/// - `imagenet`: per channel `(x − mean) / std`, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225);
///   required with ImageNet weights.
/// - `half`: per channel `(x − 0.5) / 0.5`, i.e. [0, 1] → [−1, 1] (what the reference code does; matches a Tanh decoder).
/// - `dataset(mean:std:)`: per pixel, with a mean image and a std image `[3, S, S]` computed over the
///   training split only (what the reference text describes); see `Normalization.datasetStatistics`.
public enum Normalization: Sendable, Codable, Equatable {
    case imagenet
    case half
    case dataset(mean: [Float], std: [Float])

    /// Error for a `dataset` normalisation whose images do not match the tensor being normalised.
    public struct ShapeMismatch: Error, Sendable, CustomStringConvertible {
        public var expected: Int
        public var actual: Int
        public var description: String {
            "dataset normalisation holds \(expected) values per image but the image has \(actual); recompute the statistics at this image size"
        }
    }

    public static let imagenetMean: [Float] = [0.485, 0.456, 0.406]
    public static let imagenetStd: [Float] = [0.229, 0.224, 0.225]

    /// Normalises one planar image `[3, H, W]` with values in [0, 1], in place.
    public func apply(to chw: inout [Float]) throws(ShapeMismatch) {
        let plane = chw.count / 3
        switch self {
        case .imagenet:
            Self.perChannel(&chw, plane: plane, mean: Self.imagenetMean, std: Self.imagenetStd)
        case .half:
            Self.perChannel(&chw, plane: plane, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5])
        case .dataset(let mean, let std):
            guard mean.count == chw.count, std.count == chw.count else { throw ShapeMismatch(expected: mean.count, actual: chw.count) }
            for i in 0..<chw.count { chw[i] = (chw[i] - mean[i]) / std[i] }
        }
    }

    /// Maps normalised values back to [0, 1] (for previews of reconstructions), in place.
    public func invert(_ chw: inout [Float]) throws(ShapeMismatch) {
        let plane = chw.count / 3
        switch self {
        case .imagenet:
            for c in 0..<3 { for i in 0..<plane { chw[c * plane + i] = chw[c * plane + i] * Self.imagenetStd[c] + Self.imagenetMean[c] } }
        case .half:
            for i in 0..<chw.count { chw[i] = chw[i] * 0.5 + 0.5 }
        case .dataset(let mean, let std):
            guard mean.count == chw.count, std.count == chw.count else { throw ShapeMismatch(expected: mean.count, actual: chw.count) }
            for i in 0..<chw.count { chw[i] = chw[i] * std[i] + mean[i] }
        }
    }

    private static func perChannel(_ x: inout [Float], plane: Int, mean: [Float], std: [Float]) {
        x.withUnsafeMutableBufferPointer { p in
            for c in 0..<3 {
                let m = mean[c]
                let inv = 1 / std[c]
                for i in (c * plane)..<((c + 1) * plane) { p[i] = (p[i] - m) * inv }
            }
        }
    }

    /// Per-pixel mean image and std image over a set of planar images (all the same length, values
    /// in [0, 1]); each std value is at least `stdFloor` (default 0.01 — avoids dividing by ~0 where a
    /// pixel barely varies, e.g. black augmentation borders). Uses Welford's update in Double.
    /// Pass the training split only.
    public static func datasetStatistics<S: Sequence>(of images: S, stdFloor: Float = 0.01) -> Normalization?
    where S.Element == [Float] {
        var accumulator = DatasetStatisticsAccumulator()
        for image in images { accumulator.add(image) }
        return accumulator.normalization(stdFloor: stdFloor)
    }
}

/// Running per-pixel mean and variance (Welford), fed one planar image at a time, so the statistics
/// of a large training split are computed batch by batch with bounded memory.
public struct DatasetStatisticsAccumulator: Sendable {
    private var count = 0
    private var mean: [Double] = []
    private var m2: [Double] = []

    public init() {}

    /// Number of images added so far.
    public var imageCount: Int { count }

    /// Adds one planar image; images of a different length than the first are ignored (returns `false`).
    @discardableResult
    public mutating func add(_ image: [Float]) -> Bool {
        if count == 0 {
            mean = [Double](repeating: 0, count: image.count)
            m2 = [Double](repeating: 0, count: image.count)
        }
        guard image.count == mean.count else { return false }
        count += 1
        let n = Double(count)
        for i in 0..<image.count {
            let x = Double(image[i])
            let delta = x - mean[i]
            mean[i] += delta / n
            m2[i] += delta * (x - mean[i])
        }
        return true
    }

    /// `.dataset(mean:std:)` with population std floored at `stdFloor`; `nil` before any image was added.
    public func normalization(stdFloor: Float = 0.01) -> Normalization? {
        guard count > 0 else { return nil }
        let n = Double(count)
        let std = m2.map { max(stdFloor, Float(($0 / n).squareRoot())) }
        return .dataset(mean: mean.map { Float($0) }, std: std)
    }
}
