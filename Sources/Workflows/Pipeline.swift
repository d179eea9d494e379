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
            // The run's checkpoints were made from the set that is there: regenerating it would lose them.
            let present = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).first { $0.hasPrefix("complete-") }
            if run.hasCheckpoints, let present {
                let made = present.dropFirst("complete-".count).split(separator: "-")
                throw WorkflowError("\(run.root.path) was trained on a synthetic set of \(made.first ?? "?") images per class, seed \(made.last ?? "?"); rerun with --per-class \(made.first ?? "?") --seed \(made.last ?? "?") to resume, or use a new --run directory")
            }
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

    /// What every training command does first: checks the settings, opens the training data, and refuses to
    /// mix them into a run directory whose checkpoints were made otherwise (naming what differs). Until a
    /// directory has checkpoints its config.json is just overwritten, so a failed first attempt (a wrong
    /// --data, a --k too large) does not lock it. With checkpoints, config.json is rewritten only by a stage that
    /// has accepted the settings (before its first epoch), so a refused command leaves it as it was.
    public static func prepare(_ requested: RunSettings, run: RunDirectory, needsK: Bool, progress: any ProgressSink) throws -> (RunSettings, DataSource) {
        var settings = requested
        try settings.validate()
        if settings.threads > 0 { Engine.setThreads(settings.threads) }
        let leftovers = run.removeInterruptedWrites()
        if !leftovers.isEmpty { progress.line("removed \(leftovers.count) unfinished checkpoint write(s) of an interrupted run") }
        let saved = run.hasCheckpoints ? try run.loadConfig() : nil
        if let saved, case let differences = saved.modelDifferences(from: settings), !differences.isEmpty {
            throw WorkflowError("\(run.root.path) has checkpoints made with other settings (\(differences.joined(separator: "; "))); rerun with the run's settings to resume, or use a new --run directory")
        }
        guard let dataPath = settings.data else { throw WorkflowError("no --data given") }
        let train = try DataSource.open(dataPath, name: "train", settings: settings, run: run,
                                        expectedFingerprint: saved?.dataFingerprint, progress: progress)
        if needsK { try train.checkClusterCount(settings.k) }
        settings.dataFingerprint = train.cache.sourceFingerprint
        if saved == nil { try run.saveConfig(settings) }
        return (settings, train)
    }

    public static func run(settings: RunSettings, run: RunDirectory, progress: any ProgressSink,
                           report: (RunDirectory, any ProgressSink) throws -> Void = { _, _ in }) throws -> Outcome {
        let t0 = monotonicSeconds()
        let (settings, train) = try prepare(settings, run: run, needsK: true, progress: progress)
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
    /// The settings, among those that shape the model and its data, that differ from `o` ("--size 64 → 96"),
    /// empty when a run directory made with `self` can be resumed with `o`. (The stages check the rest, e.g.
    /// --k and the learning rates, against their own checkpoints.)
    func modelDifferences(from o: RunSettings) -> [String] {
        var out: [String] = []
        func check(_ flag: String, _ a: String, _ b: String) { if a != b { out.append("\(flag) \(a) → \(b)") } }
        check("--data", data ?? "none", o.data ?? "none")
        check("--size", String(size), String(o.size))
        check("--crop", crop.rawValue, o.crop.rawValue)
        check("--normalize", normalization.rawValue, o.normalization.rawValue)
        check("--backbone", backbone.rawValue, o.backbone.rawValue)
        check("--model", model.rawValue, o.model.rawValue)
        check("--features", features.rawValue, o.features.rawValue)
        check("--seed", String(seed), String(o.seed))
        return out
    }
}
