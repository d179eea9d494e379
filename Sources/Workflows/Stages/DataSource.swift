import Compute
import Foundation
import Imaging

/// A dataset opened for a run: its images decoded, cropped and resized once into an on-disk cache under
/// `RUN/cache/`, then served as normalised `[N, 3, S, S]` tensors.
public struct DataSource: Sendable {
    public let dataset: ImageDataset
    public let cache: PreprocessedCache
    public let preprocessing: PreprocessOptions
    public let name: String
    /// The same images as the frozen ImageNet backbone sees them (`RunSettings.imagenetFeatures`), else nil.
    public var imagenetCache: PreprocessedCache? = nil

    /// Opens `path` (ImageFolder root, flat folder or labels.csv) and builds or reuses its cache.
    /// `setting` names where the path came from, for messages. With `expectedFingerprint` (the images a run's
    /// checkpoints were made from), other images are refused before the cache is rebuilt for them.
    public static func open(
        _ path: String, name: String, settings: RunSettings, run: RunDirectory,
        setting: Setting = .data, expectedFingerprint: String? = nil,
        progress: any ProgressSink
    ) throws -> DataSource {
        let url = URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw WorkflowError("\(setting: setting) \(path): no such file or folder")
        }
        let dataset: ImageDataset
        do { dataset = try ImageDataset.open(url, strict: settings.strict) } catch {
            throw WorkflowError("cannot use \(path) as a dataset: \(error)")
        }
        let fingerprint = dataset.contentFingerprint  // reads every file: once per open
        if let expectedFingerprint, !dataset.hasFingerprint(expectedFingerprint, current: fingerprint) {
            throw WorkflowError(
                "the images in \(path) changed since \(run.root.path)'s checkpoints were made from them (\(dataset.samples.count) images now; files added, removed or modified); restore them, or use a new \(setting: .run) directory"
            )
        }
        for warning in dataset.warnings { progress.line("\(name): warning: \(warning)") }
        if !dataset.skipped.isEmpty {
            progress.line("\(name): skipped \(dataset.skipped.errors.count) file(s) while listing:\n\(dataset.skipped)")
        }
        try FileManager.default.createDirectory(at: run.cache, withIntermediateDirectories: true)
        progress.line(
            "\(name): \(dataset.samples.count) images in \(path)"
                + (dataset.classNames.isEmpty ? " (unlabelled)" : ", classes \(dataset.classNames.joined(separator: ", "))"))
        let cache = try Self.cache(dataset, name: name, settings: settings, run: run, fingerprint: fingerprint, progress: progress)
        let skipped = cache.skipped
        if !skipped.isEmpty { progress.line("\(name): skipped \(skipped.errors.count) unreadable image(s):\n\(skipped)") }
        for warning in cache.warnings { progress.line("\(name): warning: \(warning) (the image was read whole and is used)") }
        if let share = cache.nucleusFoundShare {
            progress.line(String(format: "%@: nucleus found in %.1f%% of images (centre crop for the rest)", name, share * 100))
        }
        guard skipped.errors.count < dataset.samples.count else {
            throw WorkflowError("\(name): none of the \(dataset.samples.count) images in \(path) could be read")
        }
        var source = DataSource(dataset: dataset, cache: cache, preprocessing: settings.preprocessing, name: name)
        if settings.imagenetFeatures != nil {
            let other = ImageNetFeatures.inputSettings(settings)
            source.imagenetCache = try Self.cache(dataset, name: name, settings: other, run: run, fingerprint: fingerprint, progress: progress)
        }
        return source
    }

    /// The cache of `dataset` in the preprocessing of `settings` under `RUN/cache/`, built when missing or stale.
    private static func cache(
        _ dataset: ImageDataset, name: String, settings: RunSettings, run: RunDirectory, fingerprint: String, progress: any ProgressSink
    ) throws -> PreprocessedCache {
        let options = settings.preprocessing
        let t0 = monotonicSeconds()
        let built: (cache: PreprocessedCache, rebuilt: Bool)
        do {
            built = try PreprocessedCache.openOrBuild(
                at: run.cache.appendingPathComponent(
                    "\(name)-\(options.side)-\(options.crop.rawValue)-\(settings.cropSide.map { "side\($0)" } ?? String(settings.cropScale)).cache"),
                dataset: dataset, options: options, strict: settings.strict, fingerprint: fingerprint)
        } catch {
            if settings.strict { throw WorkflowError("\(name): \(error) (\(setting: .strict) makes any bad image fatal)") }
            throw WorkflowError("\(name): \(error)")
        }
        if built.rebuilt {
            let dt = monotonicSeconds() - t0
            progress.line(
                String(
                    format: "%@: decoded and preprocessed %d images at %d² in %.1f s (%.0f images/s)", name,
                    dataset.samples.count, options.side, dt, Double(dataset.samples.count) / max(dt, 1e-9)))
        }
        return built.cache
    }

    /// Number of images that decoded.
    public var usableCount: Int { dataset.samples.count - cache.skipped.errors.count }

    /// Refuses `k` clusters for fewer usable images.
    public func checkClusterCount(_ k: Int) throws {
        guard k <= usableCount else {
            throw WorkflowError("\(setting: .k) \(k) is larger than the number of usable images (\(usableCount)); use a smaller \(setting: .k) or more data")
        }
    }

    /// The next batch of `epoch`, with a read error named by the dataset's `name`.
    static func next(_ epoch: inout ImageLoader.Epoch, name: String) throws -> ImageBatch? {
        do { return try epoch.next() } catch { throw WorkflowError(name, error) }
    }

    /// The next batch of `epoch`, which serves this dataset.
    func next(_ epoch: inout ImageLoader.Epoch) throws -> ImageBatch? { try Self.next(&epoch, name: name) }

    public func loader(normalization: Normalization, batch: Int, augmentation: AugmentationOptions? = nil) -> ImageLoader {
        ImageLoader(
            dataset: dataset, preprocessing: preprocessing, normalization: normalization, batchSize: batch,
            augmentation: augmentation, strict: false, cache: cache)
    }

    /// The images as the frozen ImageNet backbone sees them, in the order `loader` serves them.
    func imagenetLoader(batch: Int) throws -> ImageLoader {
        guard let imagenetCache else {
            throw WorkflowError("\(name): opened without the ImageNet backbone's input (\(setting: .imagenetFeatures) was not set)")
        }
        return ImageLoader(
            dataset: dataset, preprocessing: imagenetCache.options, normalization: ImageNetFeatures.normalization, batchSize: batch, strict: false,
            cache: imagenetCache)
    }

    /// Per-pixel mean and std images of this dataset (the "dataset" normalisation).
    public func datasetStatistics() throws -> Normalization {
        var acc = DatasetStatisticsAccumulator()
        for i in 0..<cache.count {
            if case .success(let p) = cache.image(at: i) { _ = acc.add(Resize.chw(p.image)) }
        }
        guard let n = acc.normalization() else { throw WorkflowError("\(name): no images to compute normalisation statistics from") }
        return n
    }
}

extension ImageBatch {
    /// The batch as a `[N, 3, S, S]` tensor.
    public func tensor() throws -> Tensor {
        try Tensor(shape: [count, 3, side, side], values: data)
    }
}
