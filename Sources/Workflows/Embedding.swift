import Compute
import Foundation
import Imaging
import Models

/// `wbc embed`: pooled trunk features of images with a torchvision-style ResNet, as `features.npy` + `index.csv`.
public enum Embedding {
    public struct Options: Sendable {
        public var backbone: ResNetDepth = .resnet50
        public var weights: String?
        public var size = 224
        public var normalization: NormalizationChoice = .imagenet
        public var crop: CropMode = .none
        public var batch = 32
        public var seed: UInt64 = 0
        public var strict = false
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
        do { try DihedralViews.validate(o.views) } catch { throw WorkflowError("embed: --\(error)") }
        let urls = inputs.map { URL(fileURLWithPath: $0) }
        let dataset: ImageDataset
        do {
            if urls.count == 1, (try? urls[0].resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true {
                dataset = try ImageDataset.open(urls[0], strict: o.strict)
            } else {
                dataset = try ImageDataset.files(urls, strict: o.strict)
            }
        } catch { throw WorkflowError("embed: \(error)") }
        let net = ResNet(o.backbone, classes: nil, seed: o.seed)
        if let w = o.weights { _ = try WeightsLoader.loadEncoder(w, into: net, arch: o.backbone) }
        net.setTraining(false)
        let normalization: Normalization
        switch o.normalization {
        case .half: normalization = .half
        case .imagenet: normalization = .imagenet
        case .dataset:
            guard let n = try ImageLoader(dataset: dataset, preprocessing: PreprocessOptions(side: o.size, crop: o.crop)).datasetNormalization() else {
                throw WorkflowError("embed: no readable image to compute the dataset normalisation from")
            }
            normalization = n
        }
        let loader = ImageLoader(dataset: dataset, preprocessing: PreprocessOptions(side: o.size, crop: o.crop),
                                 normalization: normalization, batchSize: o.batch, strict: o.strict)
        var epoch = loader.batches()
        var features: [Float] = []
        var rows: [String] = ["row,path,label"]
        var n = 0
        while let b = try { () throws -> ImageBatch? in
            do { return try epoch.next() } catch { throw WorkflowError("embed: \(error)") }
        }() {
            let pooled = try net.pooled(DihedralViews.stack(b.tensor(), views: o.views)).toArray()
            features += o.views == 1 ? pooled : DihedralViews.average(pooled, views: o.views)
            for i in 0..<b.count {
                let label = b.labels[i].map { dataset.classNames[$0] } ?? ""
                rows.append("\(n),\(Evaluation.csvField(b.paths[i].path)),\(Evaluation.csvField(label))")
                n += 1
            }
            progress.progress("embed", done: n, total: dataset.samples.count, detail: "")
        }
        guard n > 0 else { throw WorkflowError("embed: no image could be read") }
        let d = o.backbone.featureChannels
        let dir = URL(fileURLWithPath: out, isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        do {
            try AtomicFile.write(NPY.encode(features, shape: [n, d]), to: dir.appendingPathComponent("features.npy").path)
        } catch { throw WorkflowError("cannot write \(dir.path)/features.npy: \(error)") }
        try RunDirectory.writeAtomically(rows.joined(separator: "\n") + "\n", to: dir.appendingPathComponent("index.csv"))
        let share = epoch.served > 0 && o.crop == .nucleus ? Double(epoch.nucleiFound) / Double(epoch.served) : nil
        return Result(count: n, dimension: d, skipped: (dataset.skipped.errors + epoch.skipped.errors).map(\.description),
                      randomWeights: o.weights == nil, nucleusFoundShare: share)
    }
}
