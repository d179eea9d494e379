import ArgumentParser
import Foundation
import Workflows

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a trained run on a labelled folder: metrics JSON and the confusion matrix.",
        discussion: "Example: wbc evaluate --run runs/kaggle --data images/TEST --split test")

    @Option(name: .customLong("run"), help: "Run directory with a trained clustering model.") var runPath: String
    @Option(help: "Images to evaluate (ImageFolder root or labels.csv).") var data: String
    @Option(help: "Name of the split in metrics.json.") var split: String = "test"
    @Flag(help: "No progress bars.") var quiet = false
    @Option(help: "oneDNN threads (0 = all cores).") var threads: Int = 0
    @Option(help: "Refuse images above this many megapixels (default: the run's, \(PresetValues.base.maxMegapixels) unless set).") var maxMegapixels: Double?

    func validate() throws {
        try validateThreads(threads)
        try validateMegapixels(maxMegapixels)
    }

    func run() throws {
        try reportingErrors {
            let m = try Pipeline.evaluate(
                runPath: runPath, data: data, split: split, threads: threads, maxMegapixels: maxMegapixels, progress: progressSink(quiet: quiet))
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try enc.encode(m), as: UTF8.self))
            print(EvaluateStage.table(m))
            print(EvaluateStage.summary(split, m))
        }
    }
}
