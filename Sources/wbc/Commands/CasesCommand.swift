import ArgumentParser
import Foundation
import Serving
import Workflows

/// `wbc cases …`: the case history `wbc serve` keeps.
struct CasesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cases", abstract: "The case history of `wbc serve`.", subcommands: [Export.self])

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write every recorded prediction, with its reviewer's verdict, as CSV.",
            discussion: "Example: wbc cases export --db runs/kaggle/cases.sqlite --csv cases.csv")

        @Option(help: "The SQLite file `wbc serve --db` wrote.") var db: String
        @Option(help: "Where to write the CSV.") var csv: String

        func validate() throws {
            guard FileManager.default.fileExists(atPath: db) else { throw ValidationError("--db \(db): no such file") }
        }

        func run() throws {
            let store = try CaseStore(path: db)
            let text = try store.csv()
            try AtomicText.write(text, to: URL(fileURLWithPath: csv))
            print("wrote \(try store.count()) predictions to \(csv)")
        }
    }
}
