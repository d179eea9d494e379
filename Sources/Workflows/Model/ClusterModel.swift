import Compute
import Foundation
import Imaging
import Models

/// A trained clustering model: the encoder and how it makes features (joined, when the run has one, by a frozen
/// ImageNet backbone's), the cluster head, the normalisation, and the cluster → cell-type names. Saved as
/// `dec.safetensors`; evaluation, prediction and a server load it.
public final class ClusterModel: @unchecked Sendable {
    /// The pretrained model's architecture (backbone, image size).
    public let spec: AutoencoderSpec
    public let extractor: FeatureExtractor
    public let head: any ClusterHead
    public let normalization: Normalization
    public let normalizationChoice: NormalizationChoice
    /// Class names of the training data (empty when unlabelled).
    public var classNames: [String]
    /// Cluster → index into `classNames`, found on the labelled training data.
    public var mapping: [Int?]
    /// The frozen ImageNet backbone whose features are joined to the encoder's, when the run has one.
    public let imagenet: ImageNetFeatures?

    init(
        spec: AutoencoderSpec, extractor: FeatureExtractor, head: any ClusterHead, normalization: Normalization,
        normalizationChoice: NormalizationChoice, classNames: [String], mapping: [Int?] = [], imagenet: ImageNetFeatures? = nil
    ) {
        self.imagenet = imagenet
        self.spec = spec
        self.extractor = extractor
        self.head = head
        self.normalization = normalization
        self.normalizationChoice = normalizationChoice
        self.classNames = classNames
        self.mapping = mapping
    }

    public var encoder: any Backbone { extractor.backbone }
    public var k: Int { head.k }
    public var features: FeatureMode { extractor.mode }
    public var views: Int { extractor.views }
    /// What makes this model's features.
    var sources: FeatureSources { FeatureSources(extractor: extractor, normalization: normalization, imagenet: imagenet) }
    /// Which clustering this is (the head's digest): it changes whenever the model is clustered again.
    public var identity: String { head.identity }

    /// The cell type a cluster is named after, or "cluster N" when unmapped.
    public func cellType(ofCluster c: Int) -> String {
        if c < mapping.count, let m = mapping[c], m < classNames.count { return classNames[m] }
        return "cluster \(c)"
    }

    /// The decision for one image from its row of cluster probabilities `[k]`: the most probable cluster, its
    /// cell type and that probability (what `predict` and `serve` report).
    public func decision(_ probabilities: [Float]) -> (cluster: Int, cellType: String, confidence: Float) {
        let c = probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0
        return (c, cellType(ofCluster: c), probabilities[c])
    }

    func checkpoint(epoch: Int, settings: RunSettings) -> Checkpoint {
        var c = Checkpoint(kind: .dec)
        c.state = StateDict(of: encoder, prefix: "encoder.")
        head.store(in: &c)
        c.spec = spec
        c.epoch = epoch
        c.storeNormalization(normalization, choice: normalizationChoice)
        c.metadata["wbc.features"] = features.rawValue
        c.metadata["wbc.views"] = String(views)
        if extractor.unitLength { c.metadata["wbc.unit_features"] = "true" }
        c.metadata["wbc.method"] = settings.method
        imagenet?.store(in: &c)
        c.encode(classNames, "wbc.class_names")
        c.encode(mapping, "wbc.mapping")
        c.encode(settings, "wbc.settings")
        return c
    }

    /// Loads `dec.safetensors` (or `dec-last`).
    public static func load(_ url: URL) throws -> (ClusterModel, Checkpoint) {
        let c = try Checkpoint.read(url, kind: .dec)
        let spec = try c.spec(file: url.path)
        let encoder = spec.architecture.makeBackbone(seed: 0)
        try c.modelState.subset(prefix: "encoder.").load(into: encoder, source: url.path)
        let head = try ClusterHeads.load(from: c, file: url.path)
        let (norm, choice) = try c.normalization(file: url.path)
        guard let mode = FeatureMode(rawValue: c.metadata["wbc.features"] ?? "") else {
            throw WorkflowError("\(url.path) does not record its feature mode")
        }
        let imagenet = try ImageNetFeatures.load(from: c, file: url.path)
        guard head.dimension == spec.featureDimension(mode) + (imagenet?.dimension ?? 0) else {
            let imagenetPart = imagenet.map { " and the ImageNet backbone \($0.dimension)" } ?? ""
            throw WorkflowError(
                "\(url.path): the cluster head takes \(head.dimension) dimensions, the encoder gives \(spec.featureDimension(mode))\(imagenetPart)")
        }
        // Checkpoints written before views existed used one view.
        guard let views = Int(c.metadata["wbc.views"] ?? "1"), DihedralViews.allowed.contains(views) else {
            throw WorkflowError("\(url.path): wbc.views is '\(c.metadata["wbc.views"] ?? "")', not one of \(DihedralViews.allowed)")
        }
        let model = ClusterModel(
            spec: spec, extractor: FeatureExtractor(backbone: encoder, mode: mode, views: views, unitLength: c.metadata["wbc.unit_features"] == "true"),
            head: head,
            normalization: norm, normalizationChoice: choice,
            classNames: c.decode([String].self, "wbc.class_names") ?? [],
            mapping: c.decode([Int?].self, "wbc.mapping") ?? [], imagenet: imagenet)
        return (model, c)
    }

    /// Features, soft assignments and hard clusters for every usable image of `source` (evaluation mode).
    public func assign(_ source: DataSource, batch: Int = 64, progress: any ProgressSink) throws -> Assignments {
        var out = Assignments(k: k, dimension: head.dimension)
        try sources.forEachBatch(source, batch: batch, progress: progress) { b, z in
            out.append(z: z, q: try head.probabilities(z, n: b.count), batch: b)
        }
        return out
    }

    /// The same for images whose features this model's encoder (and ImageNet backbone) already made, `batch` rows
    /// at a time as `assign(_:batch:progress:)` takes them.
    func assign(_ data: FrozenFeatures, batch: Int = 64) throws -> Assignments {
        var out = Assignments(k: k, dimension: head.dimension)
        for start in stride(from: 0, to: data.n, by: batch) {
            let rows = start..<min(data.n, start + batch)
            let z = Array(data.features[(rows.lowerBound * data.d)..<(rows.upperBound * data.d)])
            out.append(z: z, q: try head.probabilities(z, n: rows.count), labels: data.labels[rows], paths: data.paths[rows], indices: data.indices[rows])
        }
        return out
    }
}
