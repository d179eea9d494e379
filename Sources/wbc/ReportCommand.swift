import ArgumentParser
import Foundation
import Workflows

struct ReportCmd: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report",
        abstract: "Write RUN/report.html: settings, stage times, metrics, curves, t-SNE, confusion matrix, galleries, network.")

    @Option(name: .customLong("run"), help: "Run directory.") var runPath: String
    @Flag(help: "No progress lines.") var quiet = false

    func run() throws {
        try runReportingErrors {
            let dir = try RunDirectory.existing(runPath)
            guard FileManager.default.fileExists(atPath: dir.config.path) else {
                throw WorkflowError("\(runPath) is not a run directory (no config.json); run `wbc run` or `wbc pretrain` first")
            }
            try ReportWriter.write(run: dir, progress: quiet ? SilentProgress() : TerminalProgress())
        }
    }
}
