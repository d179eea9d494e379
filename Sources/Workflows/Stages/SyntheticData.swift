import Foundation
import Imaging

/// The synthetic 4-class set a run without data trains on: `RUN/synthetic/{train,test}`.
public enum SyntheticData {
    /// Writes the set (unless present) and returns its train and test paths.
    public static func prepare(run: RunDirectory, perClass: Int, seed: UInt64, events: TrainingEvents) throws -> (train: String, test: String) {
        let t0 = monotonicSeconds()
        let root = run.root.appendingPathComponent("synthetic", isDirectory: true)
        let train = root.appendingPathComponent("train")
        let test = root.appendingPathComponent("test")
        let marker = root.appendingPathComponent("complete-\(perClass)-\(seed)")
        guard !FileManager.default.fileExists(atPath: marker.path) else { return (train.path, test.path) }
        // The run's checkpoints were made from the set that is there: regenerating it would lose them.
        let present = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).first { $0.hasPrefix("complete-") }
        if run.hasCheckpoints, let present {
            let made = present.dropFirst("complete-".count).split(separator: "-")
            let (n, s) = (made.first.map(String.init) ?? "?", made.last.map(String.init) ?? "?")
            throw WorkflowError(
                "\(run.root.path) was trained on a synthetic set of \(n) images per class, seed \(s); rerun with \(setting: .perClass) \(n) \(setting: .seed) \(s) to resume, or use a new \(setting: .run) directory"
            )
        }
        try? FileManager.default.removeItem(at: root)
        do {
            _ = try SyntheticSmears.write(to: train, perClass: perClass, seed: seed)
            _ = try SyntheticSmears.write(to: test, perClass: max(4, perClass / 4), seed: seed &+ 1_000_003)
        } catch {
            throw WorkflowError("synthetic data", error)
        }
        try AtomicText.write("synthetic set complete\n", to: marker)
        try events.note("synthetic data: \(perClass) training and \(max(4, perClass / 4)) test images per class in \(root.path)")
        try run.stageTimesFile.record("synthesize", seconds: monotonicSeconds() - t0)
        return (train.path, test.path)
    }
}
