import Determinism
import Foundation

/// Produces batches `[N, 3, S, S]` from a dataset in a deterministic order, decoding and preprocessing
/// each batch in parallel (`DispatchQueue.concurrentPerform`, only while `next()` runs: no background
/// threads, so it never competes with compute steps). Memory is bounded by one batch.
///
/// ```swift
/// let loader = ImageLoader(dataset: train, preprocessing: PreprocessOptions(side: 224, crop: .nucleus),
///                          normalization: .half, batchSize: 16)
/// var epoch = loader.batches(epoch: 0, shuffle: true, seed: 42)
/// while let batch = try epoch.next() { … }
/// print(epoch.skipped)
/// ```
public struct ImageLoader: Sendable {
    /// The images served.
    public var dataset: ImageDataset
    /// Decode/crop/resize settings.
    public var preprocessing: PreprocessOptions
    /// Applied after augmentation.
    public var normalization: Normalization
    /// Images per batch (the last batch of an epoch may be smaller).
    public var batchSize: Int
    /// Geometric and colour augmentation before normalisation; `nil` = none. (Noise is not added here:
    /// use `Augmentation.addNoise` on a copy of `data` for the denoising input.)
    public var augmentation: AugmentationOptions?
    /// When `true`, the first bad file throws from `next()`; otherwise it is skipped and recorded.
    public var strict: Bool
    /// Preprocessed images to read instead of decoding (must have been built for `dataset`).
    public var cache: PreprocessedCache?
    /// Cores used to prepare a batch.
    public var threads: Int

    public init(
        dataset: ImageDataset, preprocessing: PreprocessOptions = PreprocessOptions(), normalization: Normalization = .half,
        batchSize: Int = 16, augmentation: AugmentationOptions? = nil, strict: Bool = false,
        cache: PreprocessedCache? = nil, threads: Int = availableCores
    ) {
        self.dataset = dataset
        self.preprocessing = preprocessing
        self.normalization = normalization
        self.batchSize = max(1, batchSize)
        self.augmentation = augmentation
        self.strict = strict
        self.cache = cache
        self.threads = max(1, threads)
    }

    /// The batches of one epoch. With `shuffle`, the order is a permutation drawn from (`seed`, `epoch`);
    /// augmentation draws come from (`seed`, `epoch`, sample index), so results do not depend on threads.
    public func batches(epoch: Int = 0, shuffle: Bool = false, seed: UInt64 = 0) -> Epoch {
        var order = Array(dataset.samples.indices)
        if shuffle {
            var rng = SeededGenerator.derived(seed: seed, stream: UInt64(epoch))
            rng.shuffle(&order)
        }
        return Epoch(loader: self, order: order, epoch: epoch, seed: seed)
    }

    /// One pass over the dataset; call `next()` until it returns `nil`.
    public struct Epoch: Sendable {
        let loader: ImageLoader
        let order: [Int]
        let epoch: Int
        let seed: UInt64
        var position = 0
        /// Files skipped so far in this epoch.
        public private(set) var skipped = SkipReport()
        /// What the decoder warned about files it still read whole, each after its path (without a cache: a cache
        /// keeps its own, `PreprocessedCache.warnings`).
        public private(set) var warnings: [String] = []
        /// Images served so far, and how many of them had a nucleus found (crop mode `.nucleus`).
        public private(set) var served = 0
        public private(set) var nucleiFound = 0

        /// Number of batches in the epoch before skips.
        public var batchCount: Int { (order.count + loader.batchSize - 1) / loader.batchSize }

        /// The next batch, `nil` at the end of the epoch. Batches whose images all failed are passed over.
        public mutating func next() throws(ImageLoadError) -> ImageBatch? {
            while position < order.count {
                let indices = Array(order[position..<min(position + loader.batchSize, order.count)])
                position += indices.count
                let batch = try prepare(indices)
                if batch.count > 0 { return batch }
            }
            return nil
        }

        private mutating func prepare(_ indices: [Int]) throws(ImageLoadError) -> ImageBatch {
            let loader = self.loader
            let side = loader.preprocessing.side
            let epoch = self.epoch
            let seed = self.seed
            let results = parallelMap(count: indices.count, threads: loader.threads) { k -> Result<([Float], Bool?, String?), ImageLoadError> in
                let index = indices[k]
                let prepared: Result<PreprocessedImage, ImageLoadError>
                if let cache = loader.cache {
                    prepared = cache.image(at: index)
                } else {
                    prepared = Result { () throws(ImageLoadError) in try loader.preprocessing.preprocess(loader.dataset.samples[index].url) }
                }
                return prepared.flatMap { p in
                    var chw = Resize.chw(p.image)
                    if let options = loader.augmentation {
                        var rng = SeededGenerator.derived(seed: seed ^ 0xA5A5_5A5A, stream: UInt64(epoch) << 32 | UInt64(index))
                        Augmentation.apply(to: &chw, width: side, height: side, options: options, rng: &rng)
                    }
                    do throws(Normalization.ShapeMismatch) { try loader.normalization.apply(to: &chw) } catch {
                        return .failure(ImageLoadError(path: loader.dataset.samples[index].url.path, reason: .settings(error.description)))
                    }
                    return .success((chw, p.nucleusFound, loader.cache == nil ? p.warning : nil))
                }
            }
            var batch = ImageBatch(data: [], labels: [], paths: [], nucleusFound: [], indices: [], side: side)
            batch.data.reserveCapacity(indices.count * 3 * side * side)
            for (k, result) in results.enumerated() {
                let sample = loader.dataset.samples[indices[k]]
                switch result {
                case .success(let (chw, found, warning)):
                    if let warning { warnings.append("\(sample.url.path): \(warning)") }
                    batch.data += chw
                    batch.labels.append(sample.label)
                    batch.paths.append(sample.url)
                    batch.nucleusFound.append(found)
                    batch.indices.append(indices[k])
                    served += 1
                    if found == true { nucleiFound += 1 }
                case .failure(let e):
                    // Settings errors would hit every image: always fatal.
                    if loader.strict || e.reason.category == "settings" { throw e }
                    skipped.append(e)
                }
            }
            return batch
        }
    }
}
