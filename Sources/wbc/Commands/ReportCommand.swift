import ArgumentParser
import Workflows

struct ReportCmd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write RUN/report.html: settings, stage times, metrics, curves, t-SNE, confusion matrix, galleries, network.",
        discussion: "Example: wbc report --run runs/kaggle")

    @Option(name: .customLong("run"), help: "Run directory.") var runPath: String
    @Flag(help: "No progress bars.") var quiet = false

    func run() throws {
        try reportingErrors { _ = try Pipeline.report(runPath: runPath, progress: progressSink(quiet: quiet)) }
    }
}
