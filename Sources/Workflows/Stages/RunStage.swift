import Compute
import Foundation
import Imaging

/// The whole method: pretrain → cluster → evaluate (train, and test when given); the report is drawn by the
/// caller (`Pipeline`), which subscribes to the stages' events.
public enum RunStage {
    public struct Outcome: Sendable {
        public var metrics: [String: SplitMetrics]
        public var seconds: Double
    }

    /// The checks that need nothing but the settings: a command makes them before it creates the run directory,
    /// so that settings refused here leave nothing behind. `needsData`: the training images must be named (a
    /// synthetic `run` names them only once it has made them).
    static func check(_ settings: RunSettings, needsData: Bool) throws {
        try settings.validate()
        if needsData, settings.data == nil { throw noData() }
        // A missing or wrong weights file would otherwise stop the run only once pretraining is done.
        if let weights = settings.imagenetFeatures { _ = try ImageNetFeatures(weights: weights, views: settings.views) }
    }

    private static func noData() -> WorkflowError {
        WorkflowError("no \(setting: .data) given, and the run has no saved settings to take it from")
    }

    /// What every training command does first: checks the settings, opens the training data, and refuses to
    /// mix them into a run directory whose checkpoints were made otherwise (naming what differs). Until a
    /// directory has checkpoints its config.json is just overwritten, so a failed first attempt (a wrong data
    /// path, a k too large) does not lock it. With checkpoints, config.json is rewritten only by a stage that
    /// has accepted the settings (before its first epoch), so a refused command leaves it as it was.
    public static func prepare(
        _ requested: RunSettings, run: RunDirectory, needsK: Bool, events: TrainingEvents,
        progress: any ProgressSink
    ) throws -> (RunSettings, DataSource) {
        var settings = requested
        try check(settings, needsData: true)
        if settings.threads > 0 { Engine.setThreads(settings.threads) }
        let leftovers = run.removeInterruptedWrites()
        if !leftovers.isEmpty { try events.note("removed \(leftovers.count) unfinished checkpoint write(s) of an interrupted run") }
        let saved = run.hasCheckpoints ? try run.configFile.load() : nil
        if let saved, case let differences = saved.modelDifferences(from: settings), !differences.isEmpty {
            var parts: [WorkflowError.Part] = [.text("\(run.root.path) has checkpoints made with other settings (")]
            for (i, d) in differences.enumerated() {
                parts += [.text(i == 0 ? "" : "; "), .setting(d.setting), .text(" \(d.saved) → \(d.requested)")]
            }
            parts += [.text("); rerun with the run's settings to resume, or use a new "), .setting(.run), .text(" directory")]
            throw WorkflowError(parts: parts)
        }
        guard let dataPath = settings.data else { throw noData() }
        let train = try DataSource.open(
            dataPath, name: "train", settings: settings, run: run,
            expectedFingerprint: saved?.dataFingerprint, progress: progress)
        if needsK { try train.checkClusterCount(settings.k) }
        settings.dataFingerprint = train.cache.sourceFingerprint
        if saved == nil { try run.configFile.save(settings) }
        return (settings, train)
    }

    public static func run(settings: RunSettings, run: RunDirectory, events: TrainingEvents, progress: any ProgressSink) throws -> Outcome {
        let t0 = monotonicSeconds()
        let (settings, train) = try prepare(settings, run: run, needsK: true, events: events, progress: progress)
        _ = try PretrainStage.run(settings: settings, run: run, train: train, events: events, progress: progress)
        // Each stage runs other tensor sizes: the buffers pooled for the last one would only sit in memory.
        Engine.releasePooledBuffers()
        let clustered = try ClusterStage.run(settings: settings, run: run, train: train, events: events, progress: progress)
        let model = clustered.model
        Engine.releasePooledBuffers()
        var metrics: [String: SplitMetrics] = [:]
        metrics["train"] =
            try EvaluateStage.run(model: model, source: train, split: "train", run: run, assignments: clustered.trainAssignments, progress: progress).0
        try events.note(EvaluateStage.summary("train", metrics["train"]!))
        if let testPath = settings.test {
            let test = try DataSource.open(testPath, name: "test", settings: settings, run: run, setting: .test, progress: progress)
            metrics["test"] = try EvaluateStage.run(model: model, source: test, split: "test", run: run, progress: progress).0
            try events.note(EvaluateStage.summary("test", metrics["test"]!))
        }
        return Outcome(metrics: metrics, seconds: monotonicSeconds() - t0)
    }
}
