import Compute
import Foundation
import Imaging
import Models

/// Stage 2: clustering on the pretrained encoder, with the method the settings name (`ClusteringMethod`),
/// then the final assignment of the training set, the cluster → cell-type names found on its labels, and
/// `dec.safetensors`.
public enum ClusterStage {
    public static func run(
        settings: RunSettings, run: RunDirectory, train: DataSource, events: TrainingEvents,
        progress: any ProgressSink
    ) throws -> ClusteringOutcome {
        let t0 = monotonicSeconds()
        guard let method = ClusteringMethods.named(settings.method) else {
            throw WorkflowError("\(setting: .method) '\(settings.method)' is not one of \(ClusteringMethods.names.joined(separator: ", "))")
        }
        var context = try context(settings: settings, run: run, train: train, events: events, progress: progress)
        try train.checkClusterCount(settings.k)
        if train.dataset.isLabelled && train.dataset.classNames.count < 2 {
            try events.note("warning: the training data has a single class (\(train.dataset.classNames.first ?? "")); accuracy will be trivial")
        }
        var settings = settings
        if let range = settings.kRange, range.count == 2 {
            let (k, features) = try ClusterCountSelection.choose(context, range: range[0]...range[1])
            settings.k = k
            try train.checkClusterCount(settings.k)
            let chosen = settings
            context = context.with(settings: chosen, accept: { try run.configFile.save(chosen) })
            context.frozenFeatures = features
        }
        var outcome = try method.fit(context)
        // Final assignment of the training set (from the features the method clustered, when the encoder did not
        // change), and the cluster → cell-type mapping found on it.
        let model = outcome.model
        let final = try outcome.frozenFeatures.map { try model.assign($0) } ?? model.assign(train, progress: progress)
        outcome.frozenFeatures = nil
        let sizes = (0..<model.k).map { c in final.clusters.filter { $0 == c }.count }
        if let largest = collapsedClusterSize(sizes), let error = method.collapseError(largest: largest, of: final.count, sizes: sizes, settings: settings) {
            throw error
        }
        if let ev = try ClusteringScore.evaluate(labels: final.labels, clusters: final.clusters, classNames: train.dataset.classNames, k: settings.k) {
            model.mapping = ev.clusterToClass
        }
        try model.checkpoint(epoch: outcome.epoch, settings: settings).write(to: run.decBest)
        try run.stageTimesFile.record("cluster", seconds: monotonicSeconds() - t0, resumes: true)
        try events.note("cluster: \(outcome.stopReason)")
        outcome.model = model
        outcome.trainAssignments = final
        return outcome
    }

    /// What a clustering method works with: the run's pretrained encoder (its checkpoint's architecture, weights
    /// and normalisation) in the settings' feature mode and views, and `accept`, which records the settings in
    /// config.json once the method has taken them.
    static func context(
        settings: RunSettings, run: RunDirectory, train: DataSource, events: TrainingEvents, progress: any ProgressSink
    ) throws -> ClusteringContext {
        let pretrained = try Checkpoint.read(run.autoencoderBest, kind: .autoencoder)
        let spec = try pretrained.spec(file: run.autoencoderBest.path)
        guard spec.imageSize == settings.size, spec.backbone == settings.backbone else {
            throw WorkflowError(
                "\(run.autoencoderBest.path) was trained for \(spec.backbone) at \(spec.imageSize)², not \(settings.backbone) at \(settings.size)²; use the pretraining settings or another \(setting: .run)"
            )
        }
        let encoder = spec.architecture.makeBackbone(seed: 0)
        try pretrained.modelState.subset(prefix: "encoder.").load(into: encoder, source: run.autoencoderBest.path)
        let (normalization, choice) = try pretrained.normalization(file: run.autoencoderBest.path)
        var context = ClusteringContext(
            settings: settings, run: run, train: train, spec: spec, normalization: normalization, normalizationChoice: choice,
            extractor: FeatureExtractor(backbone: encoder, mode: settings.features, views: settings.views, unitLength: settings.unitFeatures),
            pretrainedIdentity: "\(pretrained.epoch)|\(pretrained.metadata["wbc.best_loss"] ?? "")",
            events: events, progress: progress, accept: { try run.configFile.save(settings) })
        if let weights = settings.imagenetFeatures {
            context.imagenet = try ImageNetFeatures(weights: weights, views: settings.views)
            try events.note("imagenet features: \(ImageNetFeatures.backbone) from \(weights), joined to the encoder's")
        }
        return context
    }
}
