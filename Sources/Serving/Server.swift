import Foundation
import Hummingbird
import Workflows

/// `wbc serve`: loads the run's clustering model once, opens the case history, and answers until SIGINT or
/// SIGTERM, which finish the requests in flight first (swift-service-lifecycle's graceful shutdown).
public enum Server {
    /// The pieces a server is made of, for `run` and for tests (`HummingbirdTesting` drives the router).
    public struct Parts {
        public var classifier: CellClassifier
        public var queue: InferenceQueue
        public var store: CaseStore
        public var metrics: ServerMetrics
        public var router: Router<BasicRequestContext>
    }

    public static func parts(run: String, options: ServerOptions) throws -> Parts {
        let directory = RunDirectory(uncreated: run)
        guard FileManager.default.fileExists(atPath: directory.decBest.path) else {
            throw WorkflowError("serve: \(run) has no clustering model (\(directory.decBest.path)); run `wbc run` or `wbc cluster` on it first")
        }
        let classifier = try CellClassifier(run: directory, maxMegapixels: options.maxMegapixels)
        let queue = InferenceQueue(classifier: classifier, capacity: options.queueCapacity, batchSize: options.batchSize)
        let store = try CaseStore(path: options.database)
        let metrics = ServerMetrics()
        return Parts(
            classifier: classifier, queue: queue, store: store, metrics: metrics,
            router: ServerApplication.router(queue: queue, store: store, options: options, metrics: metrics))
    }

    /// Serves until a shutdown signal; `log` gets the address once the port is open, and warnings.
    public static func run(run: String, options: ServerOptions, log: @escaping @Sendable (String) -> Void) async throws {
        let t0 = Date()
        let parts = try parts(run: run, options: options)
        if let problem = parts.classifier.trainingCellsProblem {
            log("note: predictions come without the nearest training cells: \(problem)")
        }
        if !["127.0.0.1", "::1", "localhost"].contains(options.host) {
            log(
                "warning: listening on \(options.host), beyond this machine\(options.token == nil ? ", with no --token-file: anyone who reaches it can read the case history" : "")"
            )
        }
        let app = Application(
            router: parts.router,
            server: .http1(configuration: .init(additionalChannelHandlers: [CloseAfterWrites()])),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "wbc"),
            onServerRunning: { [backbone = parts.classifier.settings.backbone.rawValue, k = parts.classifier.model.k] channel in
                let port = channel.localAddress?.port ?? options.port
                log(
                    String(
                        format: "serving %@ (%@, k = %d) at http://%@:%d/ in %.2f s; case history in %@",
                        run, backbone, k, options.host, port, Date().timeIntervalSince(t0), options.database))
            })
        try await app.runService()
    }
}
