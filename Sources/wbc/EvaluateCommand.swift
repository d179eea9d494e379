import ArgumentParser
import Compute
import Foundation
import Workflows

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a trained run on a labelled folder: metrics JSON and the confusion matrix.")

    @Option(name: .customLong("run"), help: "Run directory with a trained clustering model.") var runPath: String
    @Option(help: "Images to evaluate (ImageFolder root or labels.csv).") var data: String
    @Option(help: "Name of the split in metrics.json.") var split: String = "test"
    @Flag(help: "No progress bars.") var quiet = false
    @Option(help: "oneDNN threads (0 = all cores).") var threads: Int = 0

    func validate() throws { try validateThreads(threads) }

    func run() throws {
        try runReportingErrors {
            if threads > 0 { Engine.setThreads(threads) }
            let dir = try RunDirectory.existing(runPath)
            let progress: any ProgressSink = quiet ? SilentProgress() : TerminalProgress()
            let (model, checkpoint) = try ClusterModel.load(dir.decBest)
            let settings = try checkpoint.settings(file: dir.decBest.path)
            let source = try DataSource.open(data, name: split, settings: settings, run: dir, progress: progress)
            let (m, _) = try Evaluation.run(model: model, source: source, split: split, run: dir, progress: progress)
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try enc.encode(m), as: UTF8.self))
            print(Evaluation.table(m))
            print(Pipeline.summary(split, m))
        }
    }
}
