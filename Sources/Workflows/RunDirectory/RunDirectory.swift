import Compute
import Foundation

/// The run directory contract:
///
/// ```
/// RUN/config.json                       every setting, the seed, the versions
/// RUN/checkpoints/autoencoder.safetensors       best pretraining epoch (lowest loss)
/// RUN/checkpoints/autoencoder-last.safetensors  last completed epoch, with optimizer state (resumption)
/// RUN/checkpoints/dec.safetensors               final clustering model (encoder, head, mapping, normalisation), of any
///                                               clustering method; DEC has no "best" epoch (its target moves), so this is the last one
/// RUN/checkpoints/dec-last.safetensors          last completed DEC epoch, with optimizer state
/// RUN/stages.json                     seconds per stage
/// RUN/log.csv                           stage, epoch, step, loss, accuracy, nmi, seconds
/// RUN/assignments.csv                   path, cluster, cell_type, confidence, label (per split)
/// RUN/features-SPLIT.npy               encoder features of each split (float32 [N, D], assignments.csv order)
/// RUN/metrics.json                      per split: accuracy, nmi, ari, mono/poly accuracy, confusion, mapping, counts
/// RUN/report.html                       the report
/// ```
public struct RunDirectory: Sendable {
    public let root: URL

    /// An existing run directory (for commands that only read a run: evaluate, predict, report); nothing is created
    /// in it.
    public static func existing(_ path: String) throws -> RunDirectory {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
            throw WorkflowError("\(setting: .run) \(path): no such run directory; train one first (run or pretrain)")
        }
        return RunDirectory(uncreated: path)
    }

    /// Opens (creating if needed) the run directory at `path`.
    public init(_ path: String) throws {
        self.init(uncreated: path)
        try create()
    }

    /// The run directory at `path` without creating anything: a command reads what an earlier one saved and
    /// checks its settings first, then calls `create()`, so that a refused command leaves no directory behind.
    public init(uncreated path: String) {
        root = URL(fileURLWithPath: path, isDirectory: true)
    }

    /// Creates the directory and its `checkpoints` folder where they are missing.
    public func create() throws {
        do {
            try FileManager.default.createDirectory(at: checkpoints, withIntermediateDirectories: true)
        } catch {
            throw WorkflowError("cannot create the run directory \(root.path): \(error.localizedDescription)")
        }
    }

    public var checkpoints: URL { root.appendingPathComponent("checkpoints", isDirectory: true) }
    public var config: URL { root.appendingPathComponent("config.json") }
    public var log: URL { root.appendingPathComponent("log.csv") }
    public var assignments: URL { root.appendingPathComponent("assignments.csv") }
    public var metrics: URL { root.appendingPathComponent("metrics.json") }
    public var report: URL { root.appendingPathComponent("report.html") }
    public var plots: URL { root.appendingPathComponent("plots", isDirectory: true) }
    public var cache: URL { root.appendingPathComponent("cache", isDirectory: true) }
    public var autoencoderBest: URL { checkpoints.appendingPathComponent("autoencoder.safetensors") }
    public var autoencoderLast: URL { checkpoints.appendingPathComponent("autoencoder-last.safetensors") }
    public var decBest: URL { checkpoints.appendingPathComponent("dec.safetensors") }
    public var decLast: URL { checkpoints.appendingPathComponent("dec-last.safetensors") }
    /// Encoder features of a split's images, in assignments.csv order (float32 [N, D]).
    public func features(_ split: String) -> URL { root.appendingPathComponent("features-\(split).npy") }
    public var stageTimes: URL { root.appendingPathComponent("stages.json") }

    // MARK: The files, each read and written by its own type

    public var configFile: RunConfigFile { RunConfigFile(url: config) }
    public var trainingLog: TrainingLog { TrainingLog(url: log) }
    public var stageTimesFile: StageTimesFile { StageTimesFile(url: stageTimes) }
    public var assignmentsFile: AssignmentsFile { AssignmentsFile(url: assignments) }
    public var metricsFile: MetricsFile { MetricsFile(url: metrics) }
    public func featuresFile(_ split: String) -> FeaturesFile { FeaturesFile(url: features(split)) }

    /// Deletes the temporary files of checkpoint writes that a killed process never finished (`.NAME.tmp-`
    /// plus mkstemp's six-character suffix, up to the model's size each). Call it only from a command that
    /// trains, which holds the directory: another one's write in progress would lose its file.
    @discardableResult
    public func removeInterruptedWrites() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: checkpoints.path)) ?? []
        let stale = names.filter { $0.hasPrefix(".") && $0.contains(".tmp-") }
        for name in stale { try? FileManager.default.removeItem(at: checkpoints.appendingPathComponent(name)) }
        return stale
    }

    /// Whether any stage has left a checkpoint here.
    public var hasCheckpoints: Bool {
        [autoencoderLast, autoencoderBest, decLast, decBest].contains { FileManager.default.fileExists(atPath: $0.path) }
    }
}
