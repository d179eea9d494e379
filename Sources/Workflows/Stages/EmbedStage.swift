import Compute
import Foundation
import Imaging
import Models

/// Pooled trunk features of images with a backbone (ImageNet weights when given), as `features.npy` + `index.csv`.
public enum EmbedStage {
    public struct Options: Sendable {
        public var backbone: BackboneID = .resnet50
        public var weights: String?
        public var size = 224
        public var normalization: NormalizationChoice = .imagenet
        public var crop: CropMode = .none
        public var batch = 32
        public var seed: UInt64 = 0
        public var strict = false
        /// Images above this many megapixels are refused (`RunSettings.maxMegapixels`).
        public var maxMegapixels = RunSettings().maxMegapixels
        /// Dihedral views the pooled features are averaged over (1, 2, 4 or 8; see `DihedralViews`).
        public var views = 1
        public init() {}
    }

    public struct Result: Sendable {
        public var count: Int
        public var dimension: Int
        public var skipped: [String]
        public var randomWeights: Bool
        public var nucleusFoundShare: Double?
    }

    public static func run(inputs: [String], out: String, options o: Options, progress: any ProgressSink) throws -> Result {
        guard DihedralViews.allowed.contains(o.views) else { throw WorkflowError("\(setting: .views) must be 1, 2, 4 or 8 (got \(o.views))") }
        guard let architecture = o.backbone.architecture else {
            throw WorkflowError("\(setting: .backbone) '\(o.backbone)' is not one of \(Backbones.names.joined(separator: ", "))")
        }
        let preprocessing = PreprocessOptions(side: o.size, crop: o.crop, decode: RunSettings.decodeOptions(maxMegapixels: o.maxMegapixels))
        let urls = inputs.map { URL(fileURLWithPath: $0) }
        let dataset: ImageDataset
        do {
            if urls.count == 1, (try? urls[0].resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true {
                dataset = try ImageDataset.open(urls[0], strict: o.strict)
            } else {
                dataset = try ImageDataset.files(urls, strict: o.strict)
            }
        } catch { throw WorkflowError("embed", error) }
        let backbone = architecture.makeBackbone(seed: o.seed)
        if let w = o.weights { _ = try PretrainedWeightsLoader.load(w, into: backbone) }
        guard
            let normalization = try o.normalization.normalization(statistics: {
                try ImageLoader(dataset: dataset, preprocessing: preprocessing).datasetNormalization()
            })
        else { throw WorkflowError("embed: no readable image to compute the dataset normalisation from") }
        let loader = ImageLoader(
            dataset: dataset, preprocessing: preprocessing,
            normalization: normalization, batchSize: o.batch, strict: o.strict)
        var epoch = loader.batches()
        var features: [Float] = []
        var rows: [String] = ["row,path,label"]
        let extractor = FeatureExtractor(backbone: backbone, mode: .pooled, views: o.views)
        try extractor.forEachBatch(&epoch, name: "embed", total: dataset.samples.count, progress: progress) { b, z in
            features += z
            for i in 0..<b.count {
                let label = b.labels[i].map { dataset.classNames[$0] } ?? ""
                rows.append(CSV.row([String(rows.count - 1), b.paths[i].path, label]))
            }
        }
        let n = rows.count - 1
        guard n > 0 else { throw WorkflowError("embed: no image could be read") }
        let d = architecture.featureChannels
        let dir = URL(fileURLWithPath: out, isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FeaturesFile(url: dir.appendingPathComponent("features.npy")).write(features, n: n, d: d)
        try AtomicText.write(rows.joined(separator: "\n") + "\n", to: dir.appendingPathComponent("index.csv"))
        let share = epoch.served > 0 && o.crop == .nucleus ? Double(epoch.nucleiFound) / Double(epoch.served) : nil
        return Result(
            count: n, dimension: d, skipped: (dataset.skipped.errors + epoch.skipped.errors).map(\.description),
            randomWeights: o.weights == nil, nucleusFoundShare: share)
    }
}
