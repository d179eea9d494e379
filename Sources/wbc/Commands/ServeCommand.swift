import ArgumentParser
import Foundation
import Serving
import Workflows

/// `wbc serve`: the page and JSON API for new patients' cells. Parsing and printing only; `Server` does the work.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a run's model: a web page and a JSON API for new cells, with a reviewed case history in SQLite.",
        discussion: "Example: wbc serve --run runs/kaggle --port 8080   (then open http://127.0.0.1:8080/)")

    @Option(help: "The run whose clustering model answers.") var run: String
    @Option(help: "Address to listen on (127.0.0.1: this machine only).") var host = "127.0.0.1"
    @Option(help: "Port (0: any free one).") var port = 8080
    @Option(help: "The case history's SQLite file (default RUN/cases.sqlite).") var db: String?
    @Option(help: "A file holding a token every /api request must bring as 'Authorization: Bearer TOKEN'.") var tokenFile: String?
    @Option(help: "Largest request body in MB.") var maxUploadMb = 20
    @Option(help: "Refuse images above this many megapixels with 422 (default: the run's, \(PresetValues.base.maxMegapixels) unless set).")
    var maxMegapixels: Double?
    @Option(help: "A folder to keep every classified image in (as SHA256.EXT; the history records where).") var keepImages: String?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535 (got \(port))") }
        guard (1...1024).contains(maxUploadMb) else { throw ValidationError("--max-upload-mb must be from 1 to 1024 (got \(maxUploadMb))") }
        try validateMegapixels(maxMegapixels)
    }

    func run() async throws {
        Self.waitPassivelyBetweenBatches()
        var options = ServerOptions()
        options.host = host
        options.port = port
        options.database = db ?? URL(fileURLWithPath: run).appendingPathComponent("cases.sqlite").path
        options.maxUploadBytes = maxUploadMb << 20
        options.keepImages = keepImages
        options.maxMegapixels = maxMegapixels
        if let tokenFile {
            guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                throw ValidationError("--token-file \(tokenFile): cannot be read")
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard token.count >= 16 else { throw ValidationError("--token-file \(tokenFile): the token must have at least 16 characters") }
            options.token = token
        }
        do {
            // Written straight to the descriptor: a log file or pipe sees each line at once.
            try await Server.run(run: run, options: options) { line in FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
        } catch let error as WorkflowError {
            throw ValidationError(Flags.standard.message(error))
        }
    }

    /// Between batches, OpenMP's threads spin for a while by default, taking the cores from the requests being
    /// decoded meanwhile: passive waiting served 259 images/s against 238 (docs/MEASUREMENTS.md). libgomp reads
    /// `OMP_WAIT_POLICY` when it loads, before any Swift runs, so the process starts itself again with it set
    /// (same process id, same arguments). A policy set by the user is kept.
    static func waitPassivelyBetweenBatches() {
        guard getenv("OMP_WAIT_POLICY") == nil else { return }
        setenv("OMP_WAIT_POLICY", "passive", 1)
        let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", arguments)  // returns only when it failed: serve as we are
    }
}
