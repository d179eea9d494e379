import Compute
import Foundation
import Imaging

/// `wbc run`: pretrain → cluster → evaluate (train, and test when given) → report.
public enum Pipeline {
    public struct Outcome: Sendable {
        public var metrics: [String: SplitMetrics]
        public var seconds: Double
    }

    /// Writes a synthetic 4-class set under `RUN/synthetic/{train,test}` (unless present) and returns the paths.
    public static func synthesize(run: RunDirectory, perClass: Int, seed: UInt64, progress: any ProgressSink) throws -> (String, String) {
        let t0 = monotonicSeconds()
        let root = run.root.appendingPathComponent("synthetic", isDirectory: true)
        let train = root.appendingPathComponent("train"), test = root.appendingPathComponent("test")
        let marker = root.appendingPathComponent("complete-\(perClass)-\(seed)")
        if !FileManager.default.fileExists(atPath: marker.path) {
            try? FileManager.default.removeItem(at: root)
            do {
                _ = try SyntheticSmears.write(to: train, perClass: perClass, seed: seed)
                _ = try SyntheticSmears.write(to: test, perClass: max(4, perClass / 4), seed: seed &+ 1_000_003)
            } catch {
                throw WorkflowError("\(error)")
            }
            try RunDirectory.writeAtomically("synthetic set complete\n", to: marker)
            progress.line("synthetic data: \(perClass) training and \(max(4, perClass / 4)) test images per class in \(root.path)")
            try run.recordStage("synthesize", seconds: monotonicSeconds() - t0)
        }
        return (train.path, test.path)
    }

    public static func run(settings: RunSettings, run: RunDirectory, progress: any ProgressSink,
                           report: (RunDirectory, any ProgressSink) throws -> Void = { _, _ in }) throws -> Outcome {
        let t0 = monotonicSeconds()
        try settings.validate()
        if settings.threads > 0 { Engine.setThreads(settings.threads) }
        if let saved = try run.loadConfig(), !saved.sameModel(as: settings) {
            throw WorkflowError("\(run.root.path) was made with other settings (see its config.json); rerun with the same settings to resume, or use a new --run directory")
        }
        try run.saveConfig(settings)
        guard let dataPath = settings.data else { throw WorkflowError("no --data given") }
        let train = try DataSource.open(dataPath, name: "train", settings: settings, run: run, progress: progress)
        _ = try Pretraining.run(settings: settings, run: run, train: train, progress: progress)
        // Each stage runs other tensor sizes: the buffers pooled for the last one would only sit in memory.
        Engine.releasePooledBuffers()
        let (model, _) = try DECTraining.run(settings: settings, run: run, train: train, progress: progress)
        Engine.releasePooledBuffers()
        var metrics: [String: SplitMetrics] = [:]
        let (mTrain, _) = try Evaluation.run(model: model, source: train, split: "train", run: run, progress: progress)
        metrics["train"] = mTrain
        progress.line(summary("train", mTrain))
        if let testPath = settings.test {
            let test = try DataSource.open(testPath, name: "test", settings: settings, run: run, flag: "--test", progress: progress)
            let (mTest, _) = try Evaluation.run(model: model, source: test, split: "test", run: run, progress: progress)
            metrics["test"] = mTest
            progress.line(summary("test", mTest))
        }
        try report(run, progress)
        return Outcome(metrics: metrics, seconds: monotonicSeconds() - t0)
    }

    public static func summary(_ split: String, _ m: SplitMetrics) -> String {
        guard let acc = m.accuracy, let nmi = m.nmi, let ari = m.ari else {
            return "\(split): \(m.images) images, clusters of sizes \(m.counts) (unlabelled: no metrics)"
        }
        var s = String(format: "%@: %d images  ACC %.4f  NMI %.4f  ARI %.4f", split, m.images, acc, nmi, ari)
        if let labelled = m.labelled, labelled < m.images {
            s += " (scored on the \(labelled) images with one label; \(m.images - labelled) have none or several)"
        }
        if let mp = m.mononuclearPolymorphonuclearAccuracy { s += String(format: "  mono/poly %.4f", mp) }
        return s
    }
}

extension RunSettings {
    /// Whether two settings describe the same model and data (so a run directory can be resumed).
    func sameModel(as o: RunSettings) -> Bool {
        size == o.size && crop == o.crop && normalization == o.normalization && backbone == o.backbone && model == o.model &&
            features == o.features && k == o.k && seed == o.seed && data == o.data
    }
}
