import Foundation

/// A batch of preprocessed images, ready for the network.
public struct ImageBatch: Sendable {
    /// Pixels, `[N, 3, S, S]` float32 NCHW, normalised (and augmented when the loader augments).
    public var data: [Float]
    /// Class index per image (`nil` for unlabelled images), `[N]`.
    public var labels: [Int?]
    /// Source file per image, `[N]`.
    public var paths: [URL]
    /// Per image: whether a nucleus was found (`nil` when the crop mode is not `.nucleus`), `[N]`.
    public var nucleusFound: [Bool?]
    /// Index of each image in the loader's dataset, `[N]`.
    public var indices: [Int]
    /// S.
    public var side: Int

    /// Number of images N (smaller than the batch size at the end of an epoch or after skips).
    public var count: Int { paths.count }
}
