import ArgumentParser
import Compute
import Models
import Workflows

struct Cluster: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stage 2: Deep Embedded Clustering on the pretrained encoder (k-means init, KL self-training).",
        discussion: "Rerunning the same command after an interruption continues from the last completed epoch.")

    @OptionGroup var options: RunOptions
    @Option(help: "Training images (default: the data pretraining used).") var data: String?
    @Option(help: "Number of clusters.") var k: Int?
    @Option(help: "Clustering epochs.") var epochs: Int?
    @Option(help: "Batch size.") var batch: Int?
    @Option(help: "adadelta (reference, lr 0.1) | sgd (paper, lr 0.01, momentum 0.9).") var optimizer: String?
    @Option(help: "Learning rate (default: the optimizer's).") var lr: Float?
    @Option(help: "Features: pooled (2048-d) | flat (the whole trunk map, as the reference).") var features: String?
    @Option(help: "Average the features over 1, 2, 4 or 8 flips/rotations of each image (orientation-invariant).") var views: Int?
    @Option(help: "Refresh the target distribution every N batches (1 = every batch, as the reference).") var updateInterval: Int?
    @Option(help: "Stop when fewer than this fraction of labels change between refreshes (paper: 0.001).") var tol: Double?
    @Option(help: "Images per epoch (a seeded sample).") var samples: Int?
    @Option(help: "Write RUN/plots/tsne-epoch-NNN.svg every N epochs (0 = none).") var plotEvery: Int?

    func validate() throws {
        if let optimizer, DECOptimizer(rawValue: optimizer) == nil { throw ValidationError("--optimizer must be adadelta or sgd (got '\(optimizer)')") }
        if let features, FeatureMode(rawValue: features) == nil { throw ValidationError("--features must be pooled or flat (got '\(features)')") }
        if let k, k < 1 { throw ValidationError("--k must be at least 1") }
    }

    func run() throws {
        try runReportingErrors {
            var (dir, s) = try options.settings()
            if let data { s.data = data }
            if let k { s.k = k }
            if let epochs { s.clusterEpochs = epochs }
            if let batch { s.clusterBatch = batch }
            if let optimizer { s.optimizer = DECOptimizer(rawValue: optimizer)! }
            if let lr { s.clusterLearningRate = lr }
            if let features { s.features = FeatureMode(rawValue: features)! }
            if let updateInterval { s.updateInterval = updateInterval }
            if let views { s.views = views }
            if let tol { s.tol = tol }
            if let samples { s.clusterSamples = samples }
            if let plotEvery { s.plotEvery = plotEvery }
            guard s.data != nil else { throw ValidationError("--data is required (the run has no saved settings)") }
            let (settings, train) = try Pipeline.prepare(s, run: dir, needsK: true, progress: options.progress)
            let (model, r) = try DECTraining.run(settings: settings, run: dir, train: train, progress: options.progress)
            let (m, _) = try Evaluation.run(model: model, source: train, split: "train", run: dir, progress: options.progress)
            print("cluster: \(r.stopReason)")
            print(Pipeline.summary("train", m))
        }
    }
}
