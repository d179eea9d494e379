import Compute
import Foundation
import Imaging
import Models

/// How clusters are found on a pretrained encoder: it trains a cluster head (and possibly the encoder) on the
/// training data. The clustering stage owns the rest: loading the pretrained encoder, the final assignment,
/// naming the clusters, writing `dec.safetensors`.
///
/// A new method is one new file: a type conforming to this protocol and its entry in `ClusteringMethods.all`.
/// The run's `method` setting names it.
public protocol ClusteringMethod: Sendable {
    /// The name the `method` setting uses.
    var name: String { get }
    /// One line for help texts.
    var summary: String { get }
    /// Trains on `context.train` and returns the model. Call `context.accept()` once the settings are known to
    /// fit (before the first epoch), so an interrupted run resumes with them.
    func fit(_ context: ClusteringContext) throws -> ClusteringOutcome
    /// The error to stop with when the final assignment puts over 90 % of the images into one cluster
    /// (`largest` of `n`), naming the settings to change; nil (the default) accepts such a result.
    func collapseError(largest: Int, of n: Int, sizes: [Int], settings: RunSettings) -> WorkflowError?
    /// Whether the method, with `settings`, leaves the encoder (and a joined ImageNet backbone) exactly as it found
    /// them, clustering the training images' evaluation-mode features (`ClusteringContext.forEachFeatureBatch`) and
    /// never training a network through them: only such a method can cluster the features a frozen ImageNet backbone
    /// joins (`RunSettings.imagenetFeatures`), and only its features can serve the final assignment
    /// (`ClusteringOutcome.frozenFeatures`). Default: false.
    func clustersFrozenFeatures(_ settings: RunSettings) -> Bool
}

extension ClusteringMethod {
    public func collapseError(largest: Int, of n: Int, sizes: [Int], settings: RunSettings) -> WorkflowError? { nil }
    public func clustersFrozenFeatures(_ settings: RunSettings) -> Bool { false }
}

/// The size of the cluster holding over 90 % of the images, when one does (the clusters have collapsed).
func collapsedClusterSize(_ sizes: [Int]) -> Int? {
    let n = sizes.reduce(0, +)
    guard sizes.count > 1, let largest = sizes.max(), Double(largest) > 0.9 * Double(n) else { return nil }
    return largest
}

/// What a clustering method works with.
public struct ClusteringContext: Sendable {
    public let settings: RunSettings
    public let run: RunDirectory
    public let train: DataSource
    /// The pretrained model's architecture and normalisation.
    public let spec: AutoencoderSpec
    public let normalization: Normalization
    public let normalizationChoice: NormalizationChoice
    /// The pretrained encoder, in the settings' feature mode and views; the method may train it.
    public let extractor: FeatureExtractor
    /// Which pretrained checkpoint this is: state saved from another one must not be resumed.
    public let pretrainedIdentity: String
    public let events: TrainingEvents
    public let progress: any ProgressSink
    /// Records the settings in config.json (see `ClusteringMethod.fit`).
    public let accept: @Sendable () throws -> Void
    /// The frozen ImageNet backbone whose features are joined to the encoder's (`RunSettings.imagenetFeatures`).
    public var imagenet: ImageNetFeatures? = nil
    /// The training images' frozen features, when an earlier step (choosing k) already extracted them.
    var frozenFeatures: FrozenFeatures? = nil

    public var encoder: any Backbone { extractor.backbone }
    /// Feature width: the encoder's, and the ImageNet backbone's when joined.
    public var dimension: Int { spec.featureDimension(settings.features) + (imagenet?.dimension ?? 0) }

    /// The same context with other settings (k chosen from the data).
    func with(settings: RunSettings, accept: @escaping @Sendable () throws -> Void) -> ClusteringContext {
        var c = ClusteringContext(
            settings: settings, run: run, train: train, spec: spec, normalization: normalization, normalizationChoice: normalizationChoice,
            extractor: extractor, pretrainedIdentity: pretrainedIdentity, events: events, progress: progress, accept: accept)
        c.imagenet = imagenet
        return c
    }

    /// A model around `head` with this context's encoder, normalisation and ImageNet backbone.
    public func model(head: any ClusterHead) -> ClusterModel {
        ClusterModel(
            spec: spec, extractor: extractor, head: head, normalization: normalization,
            normalizationChoice: normalizationChoice, classNames: train.dataset.classNames, imagenet: imagenet)
    }

    /// Evaluation-mode features of every usable training image, batch by batch (the ImageNet backbone's joined
    /// when there is one): `body(batch, features [count, dimension])`.
    func forEachFeatureBatch(_ body: (ImageBatch, [Float]) throws -> Void) throws {
        try FeatureSources(extractor: extractor, normalization: normalization, imagenet: imagenet).forEachBatch(train, progress: progress, body)
    }
}

/// What a clustering method returns.
public struct ClusteringOutcome: Sendable {
    public var model: ClusterModel
    /// The last completed epoch (0 when the method has no epochs).
    public var epoch: Int
    public var epochsRun: Int
    /// Why training stopped, for the user.
    public var stopReason: String
    public var lastLoss: Double
    public var kmeansInertia: Double?
    /// The training set assigned by the final model (the cluster stage sets it; evaluation reuses it rather
    /// than running the encoder over the training images once more).
    public var trainAssignments: Assignments? = nil
    /// The training images' features the model's head reads, when the method left the encoder (and a joined
    /// ImageNet backbone) as it found them: the final assignment reuses them instead of computing them again.
    var frozenFeatures: FrozenFeatures? = nil
}

/// Every clustering method, by name.
public enum ClusteringMethods {
    public static let all: [any ClusteringMethod] = [DECClustering(), KMeansClustering(), SCANClustering(), AgglomerativeClustering()]

    public static var names: [String] { all.map(\.name) }

    public static func named(_ name: String) -> (any ClusteringMethod)? { all.first { $0.name == name } }
}
