import Compute
import Foundation

/// The run directory contract:
///
/// ```
/// RUN/config.json                       every setting, the seed, the versions
/// RUN/checkpoints/autoencoder.safetensors       best pretraining epoch (lowest loss)
/// RUN/checkpoints/autoencoder-last.safetensors  last completed epoch, with optimizer state (resumption)
/// RUN/checkpoints/dec.safetensors               final clustering model (encoder, centres, mapping, normalisation);
///                                               DEC has no "best" epoch (its target moves), so this is the last one
/// RUN/checkpoints/dec-last.safetensors          last completed clustering epoch, with optimizer state
/// RUN/log.csv                           stage, epoch, step, loss, accuracy, nmi, seconds
/// RUN/assignments.csv                   path, cluster, cell_type, confidence, label (per split)
/// RUN/features-SPLIT.npy               encoder features of each split (float32 [N, D], assignments.csv order)
/// RUN/metrics.json                      per split: accuracy, nmi, ari, mono/poly accuracy, confusion, mapping, counts
/// RUN/report.html                       the report
/// ```
public struct RunDirectory: Sendable {
    public let root: URL

    /// An existing run directory (for commands that only read a run: evaluate, predict, report).
    public static func existing(_ path: String) throws -> RunDirectory {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
            throw WorkflowError("--run \(path): no such run directory; run `wbc run` or `wbc pretrain` first")
        }
        return try RunDirectory(path)
    }

    /// Opens (creating if needed) the run directory at `path`.
    public init(_ path: String) throws {
        root = URL(fileURLWithPath: path, isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: checkpoints, withIntermediateDirectories: true)
        } catch {
            throw WorkflowError("cannot create the run directory \(path): \(error.localizedDescription)")
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

    /// Writes `text` atomically (temporary file, fsync, rename).
    public static func writeAtomically(_ text: String, to url: URL) throws {
        do {
            try AtomicFile.write(Data(text.utf8), to: url.path)
        } catch {
            throw WorkflowError("cannot write \(url.path): \(error). Check free disk space and permissions.")
        }
    }

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

    /// Saves the settings with the program version.
    public func saveConfig(_ settings: RunSettings) throws {
        struct Config: Codable { var settings: RunSettings; var version: String; var format: Int }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try enc.encode(Config(settings: settings, version: WBCVersion.current, format: 1))
        try Self.writeAtomically(String(decoding: data, as: UTF8.self) + "\n", to: config)
    }

    /// The settings saved by an earlier command, if any.
    public func loadConfig() throws -> RunSettings? {
        guard let data = try? Data(contentsOf: config) else { return nil }
        do {
            guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any], let s = obj["settings"] else {
                throw WorkflowError("no settings object")
            }
            return try RunSettings.decodeLenient(JSONSerialization.data(withJSONObject: s))
        } catch {
            throw WorkflowError("\(config.path) is not a wbc run configuration (\(error)); use another --run directory")
        }
    }

    // MARK: log.csv

    public struct LogRow: Sendable {
        public var stage: String, epoch: Int, step: Int, loss: Double
        public var accuracy: Double?, nmi: Double?, seconds: Double
        public init(stage: String, epoch: Int, step: Int, loss: Double, accuracy: Double? = nil, nmi: Double? = nil, seconds: Double) {
            self.stage = stage; self.epoch = epoch; self.step = step; self.loss = loss
            self.accuracy = accuracy; self.nmi = nmi; self.seconds = seconds
        }
    }

    static let logHeader = "stage,epoch,step,loss,accuracy,nmi,seconds"

    /// Rewrites log.csv keeping rows of other stages and rows of `stage` before `epoch`, then adds `row`.
    /// (So a resumed stage does not duplicate epochs.)
    public func appendLog(_ row: LogRow) throws {
        var rows = readLog().filter { !($0.stage == row.stage && $0.epoch >= row.epoch) }
        rows.append(row)
        try writeLog(rows)
    }

    public func writeLog(_ rows: [LogRow]) throws {
        func f(_ v: Double?) -> String { v.map { String(format: "%.6g", $0) } ?? "" }
        let lines = [Self.logHeader] + rows.map {
            "\($0.stage),\($0.epoch),\($0.step),\(String(format: "%.8g", $0.loss)),\(f($0.accuracy)),\(f($0.nmi)),\(String(format: "%.3f", $0.seconds))"
        }
        try Self.writeAtomically(lines.joined(separator: "\n") + "\n", to: log)
    }

    public func readLog() -> [LogRow] {
        guard let text = try? String(contentsOf: log, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let c = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard c.count == 7, let e = Int(c[1]), let s = Int(c[2]), let l = Double(c[3]), let t = Double(c[6]) else { return nil }
            return LogRow(stage: c[0], epoch: e, step: s, loss: l, accuracy: Double(c[4]), nmi: Double(c[5]), seconds: t)
        }
    }

    // MARK: stage times

    public func recordStage(_ name: String, seconds: Double) throws {
        var times = readStageTimes().filter { $0.0 != name }
        times.append((name, seconds))
        let obj = times.map { "  \"\($0.0)\": \(String(format: "%.3f", $0.1))" }.joined(separator: ",\n")
        try Self.writeAtomically("{\n\(obj)\n}\n", to: stageTimes)
    }

    public func readStageTimes() -> [(String, Double)] {
        guard let data = try? Data(contentsOf: stageTimes),
              let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Double] else { return [] }
        let order = ["synthesize", "pretrain", "cluster", "evaluate train", "evaluate test", "report"]
        return obj.sorted { (order.firstIndex(of: $0.key) ?? 99, $0.key) < (order.firstIndex(of: $1.key) ?? 99, $1.key) }
            .map { ($0.key, $0.value) }
    }
}

/// The program version written into configs and checkpoints.
public enum WBCVersion {
    public static let current = "0.1.0"
    /// Checkpoint format version; a checkpoint of another format is refused with a clear message.
    public static let checkpointFormat = "1"
}
