import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Imaging
import Models
import Testing

@testable import Serving
@testable import Workflows

/// A small trained run shared by the server tests (the `tiny` preset on a synthetic set), and images of it; removed
/// when the test process exits.
final class ServedRun: @unchecked Sendable {
    static let shared = try! ServedRun()
    static let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wbc-serve-\(getpid())")
    let root = ServedRun.folder
    let run: String
    let images: [URL]

    private init() throws {
        try? FileManager.default.removeItem(at: root)
        atexit { try? FileManager.default.removeItem(at: ServedRun.folder) }
        let directory = try RunDirectory(root.appendingPathComponent("run").path)
        let (train, _) = try SyntheticData.prepare(run: directory, perClass: 8, seed: 4, events: TrainingEvents())
        var s = Preset.tiny.settings
        s.data = train
        s.pretrainEpochs = 1
        s.clusterEpochs = 1
        _ = try RunStage.run(settings: s, run: directory, events: TrainingEvents(), progress: SilentProgress())
        run = directory.root.path
        images = try FileManager.default.subpathsOfDirectory(atPath: train).filter { $0.hasSuffix(".jpeg") }.sorted()
            .map { URL(fileURLWithPath: train).appendingPathComponent($0) }
    }

    /// A server on this run with a fresh database.
    func parts(_ configure: (inout ServerOptions) -> Void = { _ in }) throws -> Server.Parts {
        var options = ServerOptions()
        options.database = root.appendingPathComponent("db-\(UUID()).sqlite").path
        configure(&options)
        return try Server.parts(run: run, options: options)
    }
}

func text(_ buffer: ByteBuffer) -> String { String(buffer: buffer) }
func object(_ buffer: ByteBuffer) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
}
func field<T>(_ buffer: ByteBuffer, _ key: String, as: T.Type) throws -> T? { try object(buffer)[key] as? T }
func errorMessage(_ buffer: ByteBuffer) throws -> String {
    try #require((try object(buffer)["error"] as? [String: Any])?["message"] as? String)
}

@Suite("wbc serve", .serialized)
struct ServerTests {
    let served = ServedRun.shared

    @Test func pageHealthAndModel() async throws {
        let parts = try served.parts()
        try await Application(router: parts.router).test(.router) { client in
            try await client.execute(uri: "/", method: .get) { r in
                #expect(r.status == .ok && text(r.body).contains("<input type=\"file\""))
                #expect(!text(r.body).contains("http://") && !text(r.body).contains("https://"))  // nothing fetched from elsewhere
            }
            try await client.execute(uri: "/healthz", method: .get) { r in
                let status = try field(r.body, "status", as: String.self)
                #expect(status == "ok")
            }
            try await client.execute(uri: "/api/v1/model", method: .get) { r in
                let m = try object(r.body)
                #expect(m["k"] as? Int == 4 && (m["cell_types"] as? [String])?.count == 4)
                #expect((m["checkpoint_sha256"] as? String)?.count == 64)
                #expect(m["imagenet_features"] == nil)
            }
        }
    }

    /// A model that joins frozen ImageNet features (`best`) says so, and answers predictions with them.
    @Test func modelWithImageNetFeaturesSaysSoAndAnswers() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("wbc-serve-imagenet-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        let directory = try RunDirectory(root.appendingPathComponent("run").path)
        let (train, _) = try SyntheticData.prepare(run: directory, perClass: 6, seed: 4, events: TrainingEvents())
        let weights = root.appendingPathComponent("lite0.safetensors")
        try StateDict(of: EfficientNetLite(.lite0, classes: 1000, seed: 7)).write(to: weights)
        var s = Preset.tiny.settings
        s.data = train
        s.pretrainEpochs = 1
        s.method = "kmeans"
        s.unitFeatures = true
        s.views = 1
        s.imagenetFeatures = weights.path
        _ = try RunStage.run(settings: s, run: directory, events: TrainingEvents(), progress: SilentProgress())
        var options = ServerOptions()
        options.database = root.appendingPathComponent("db.sqlite").path
        let parts = try Server.parts(run: directory.root.path, options: options)
        let jpeg = try Data(contentsOf: served.images[0])
        try await Application(router: parts.router).test(.router) { client in
            try await client.execute(uri: "/api/v1/model", method: .get) { r in
                let m = try object(r.body)
                #expect(m["imagenet_features"] as? String == "efficientnet-lite0")
            }
            try await client.execute(
                uri: "/api/v1/predictions", method: .post, headers: [.contentType: "image/jpeg"], body: ByteBuffer(data: jpeg)
            ) { r in
                #expect(r.status == .ok)
                let p = try #require((try object(r.body)["predictions"] as? [[String: Any]])?.first)
                #expect((p["probabilities"] as? [Double])?.count == 4)
            }
        }
    }

    /// A raw JPEG is classified, recorded before the answer, readable, reviewable, listed and exported.
    @Test func predictionIsRecordedReviewedListedAndExported() async throws {
        let parts = try served.parts()
        let (store, classifier) = (parts.store, parts.classifier)
        let jpeg = try Data(contentsOf: served.images[0])
        try await Application(router: parts.router).test(.router) { client in
            var id = 0
            try await client.execute(
                uri: "/api/v1/predictions", method: .post, headers: [.contentType: "image/jpeg", HTTPField.Name("X-File-Name")!: "cell one.jpeg"],
                body: ByteBuffer(data: jpeg)
            ) { r in
                #expect(r.status == .ok)
                let p = try #require((try object(r.body)["predictions"] as? [[String: Any]])?.first)
                id = try #require(p["id"] as? Int)
                #expect(p["file_name"] as? String == "cell one.jpeg")
                #expect((p["probabilities"] as? [Double])?.count == 4)
                #expect((p["crop"] as? String)?.hasPrefix("data:image/png;base64,") == true)
                #expect(p["sha256"] as? String == SHA256Hex.of(jpeg))
            }
            #expect(try store.count() == 1)
            let stored = try #require(try store.record(id: Int64(id)))
            #expect(stored.fileName == "cell one.jpeg" && stored.modelDigest == classifier.modelDigest)
            try await client.execute(uri: "/api/v1/predictions/\(id)", method: .get) { r in
                let type = try field(r.body, "cell_type", as: String.self)
                #expect(type == stored.cellType)
            }
            let other = classifier.model.classNames.first { $0 != stored.cellType } ?? stored.cellType
            try await client.execute(
                uri: "/api/v1/predictions/\(id)", method: .patch, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: "{\"reviewed_type\": \"\(other)\"}")
            ) { r in
                let reviewed = try field(r.body, "reviewed_type", as: String.self)
                #expect(r.status == .ok && reviewed == other)
            }
            #expect(try store.record(id: Int64(id))?.reviewedType == other)
            try await client.execute(
                uri: "/api/v1/predictions/\(id)", method: .patch, body: ByteBuffer(string: "{\"reviewed_type\": \"PLATELET\"}")
            ) { r in
                #expect(r.status == .unprocessableContent)
                let message = try errorMessage(r.body)
                #expect(message.contains("PLATELET"))
            }
            try await client.execute(uri: "/api/v1/predictions?limit=10&type=\(other)", method: .get) { r in
                let total = try field(r.body, "total", as: Int.self)
                #expect(total == 1)
            }
            try await client.execute(uri: "/api/v1/predictions?needs_review=true", method: .get) { r in
                let total = try field(r.body, "total", as: Int.self)
                #expect(total == (other == stored.cellType ? 0 : 1))
            }
            try await client.execute(uri: "/api/v1/predictions?limit=0", method: .get) { r in #expect(r.status == .badRequest) }
            try await client.execute(uri: "/api/v1/predictions.csv", method: .get) { r in
                let lines = text(r.body).split(separator: "\n")
                #expect(lines.count == 2 && lines[1].hasPrefix("\(id),") && lines[1].contains("\"cell one.jpeg\"") == false)
            }
            try await client.execute(uri: "/api/v1/predictions/999", method: .get) { r in #expect(r.status == .notFound) }
        }
    }

    /// A multipart form with two images gives two predictions in one batch; a form cut short is refused.
    @Test func multipartUploadsSeveralImages() async throws {
        let parts = try served.parts()
        let store = parts.store
        let boundary = "wbc-test-boundary"
        var form = Data()
        for url in served.images.prefix(2) {
            form += Data(
                "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(url.lastPathComponent)\"\r\nContent-Type: image/jpeg\r\n\r\n".utf8
            )
            form += try Data(contentsOf: url) + Data("\r\n".utf8)
        }
        form += Data("--\(boundary)--\r\n".utf8)
        let body = form
        try await Application(router: parts.router).test(.router) { client in
            let headers: HTTPFields = [.contentType: "multipart/form-data; boundary=\(boundary)"]
            try await client.execute(uri: "/api/v1/predictions", method: .post, headers: headers, body: ByteBuffer(data: body)) { r in
                let items = try #require(try object(r.body)["predictions"] as? [[String: Any]])
                #expect(items.map { $0["file_name"] as? String } == served.images.prefix(2).map(\.lastPathComponent))
            }
            #expect(try store.count() == 2)
            try await client.execute(uri: "/api/v1/predictions", method: .post, headers: headers, body: ByteBuffer(data: body.prefix(body.count / 2))) { r in
                #expect(r.status == .badRequest)
                let message = try errorMessage(r.body)
                #expect(message.contains("closing boundary"))
            }
            #expect(try store.count() == 2)
        }
    }

    /// Each bad input gets its status and a JSON message, nothing is recorded, and the server keeps serving.
    @Test func badInputIsAnsweredWithItsStatus() async throws {
        let parts = try served.parts { $0.maxUploadBytes = 64 << 10 }
        let store = parts.store
        let jpeg = try Data(contentsOf: served.images[1])
        try await Application(router: parts.router).test(.router) { client in
            try await client.execute(uri: "/api/v1/predictions", method: .post, headers: [.contentType: "image/jpeg"], body: ByteBuffer(string: "hello")) { r in
                #expect(r.status == .unsupportedMediaType)
                let message = try errorMessage(r.body)
                #expect(message.contains("not a JPEG, PNG or BMP"))
            }
            try await client.execute(
                uri: "/api/v1/predictions", method: .post, headers: [.contentType: "image/jpeg"], body: ByteBuffer(data: jpeg.prefix(jpeg.count / 3))
            ) { r in
                #expect(r.status == .unprocessableContent)
            }
            try await client.execute(uri: "/api/v1/predictions", method: .post, body: ByteBuffer(repeating: 0xFF, count: 100 << 10)) { r in
                #expect(r.status == .contentTooLarge)
            }
            try await client.execute(uri: "/api/v1/nothing", method: .get) { r in
                #expect(r.status == .notFound)
                let message = try errorMessage(r.body)
                #expect(message.contains("GET /api/v1/nothing"))
            }
            try await client.execute(uri: "/api/v1/predictions/abc", method: .get) { r in #expect(r.status == .badRequest) }
            #expect(try store.count() == 0)
            try await client.execute(uri: "/api/v1/predictions", method: .post, body: ByteBuffer(data: jpeg)) { r in #expect(r.status == .ok) }
        }
    }

    @Test func tokenGuardsTheAPIButNotThePage() async throws {
        let token = "0123456789abcdef-secret"
        let parts = try served.parts { $0.token = token }
        try await Application(router: parts.router).test(.router) { client in
            try await client.execute(uri: "/api/v1/model", method: .get) { r in #expect(r.status == .unauthorized) }
            try await client.execute(uri: "/api/v1/model", method: .get, headers: [.authorization: "Bearer wrong"]) { r in #expect(r.status == .unauthorized) }
            try await client.execute(uri: "/api/v1/model", method: .get, headers: [.authorization: "Bearer \(token)"]) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/healthz", method: .get) { r in #expect(r.status == .ok) }
        }
        #expect(BearerTokenMiddleware<BasicRequestContext>.equalInConstantTime(Array("abc".utf8), Array("abc".utf8)))
        #expect(!BearerTokenMiddleware<BasicRequestContext>.equalInConstantTime(Array("abc".utf8), Array("abd".utf8)))
        #expect(!BearerTokenMiddleware<BasicRequestContext>.equalInConstantTime(Array("abc".utf8), Array("abcd".utf8)))
    }

    /// The OpenAPI document lists exactly the routes the server has, and each answers (none is a 404).
    @Test func openAPIDocumentCoversEveryRoute() async throws {
        let parts = try served.parts()
        try await Application(router: parts.router).test(.router) { client in
            var documented: Set<String> = []
            try await client.execute(uri: "/openapi.json", method: .get) { r in
                let doc = try object(r.body)
                #expect(doc["openapi"] as? String == "3.1.0")
                for (path, operations) in try #require(doc["paths"] as? [String: [String: Any]]) {
                    for method in operations.keys { documented.insert("\(method.uppercased()) \(path)") }
                }
            }
            #expect(documented == Set(ServerApplication.routes.map { "\($0.method) \($0.path)" }))
            for route in ServerApplication.routes {
                let uri = route.path.replacingOccurrences(of: "{id}", with: "1").replacingOccurrences(of: "{index}", with: "1")
                try await client.execute(uri: uri, method: HTTPRequest.Method(route.method)!, body: ByteBuffer(string: "{}")) { r in
                    #expect(r.status != .notFound || uri.contains("/1"), "\(route.method) \(uri): \(r.status)")
                    #expect(r.status != .methodNotAllowed, "\(route.method) \(uri)")
                }
            }
        }
    }

    /// Concurrent requests share the one worker; every image gets its own answer.
    @Test func concurrentRequestsAreBatched() async throws {
        let parts = try served.parts()
        let (queue, classifier) = (parts.queue, parts.classifier)
        let data = try served.images.prefix(6).map { try Data(contentsOf: $0) }
        let results = try await withThrowingTaskGroup(of: (Int, [InferenceQueue.Outcome]).self) { group in
            for (i, d) in data.enumerated() { group.addTask { (i, try await queue.classify([("\(i)", d)])) } }
            var all: [Int: [InferenceQueue.Outcome]] = [:]
            for try await (i, r) in group { all[i] = r }
            return all
        }
        #expect(results.count == 6 && results.values.allSatisfy { $0.count == 1 })
        let single = try classifier.classify([("0", data[0])])
        // Batched with others or alone, an image gets the same probabilities (to rounding: kernels may differ by batch size).
        if case .success(let a) = results[0]![0], case .success(let b) = single[0] {
            #expect(zip(a.probabilities, b.probabilities).allSatisfy { abs($0 - $1) < 1e-5 })
        } else {
            Issue.record("no result")
        }
        #expect(queue.depth == 0)
    }
}

extension ServerTests {
    /// A training image sent back finds itself first among the nearest training cells, whose crops are served.
    @Test func predictionsComeWithTheNearestTrainingCells() async throws {
        let parts = try served.parts()
        let cells = try #require(parts.classifier.trainingCells, "\(parts.classifier.trainingCellsProblem ?? "")")
        #expect(cells.cells.count == served.images.count)
        let jpeg = try Data(contentsOf: served.images[3])
        // A record of another model keeps its indices and similarities only: they point into a training set
        // that is not the one loaded now.
        let older = try #require(
            try parts.store.insert([
                CaseRecord(
                    id: nil, createdAt: "2026-01-01T00:00:00Z", fileName: "old.jpeg", sha256: "00", modelDigest: "another model",
                    cellType: "MONOCYTE", cluster: 0, confidence: 0.5, probabilities: "[0.5,0.5]", reviewedType: nil, reviewedAt: nil,
                    nearest: #"[{"index":0,"similarity":0.9}]"#, imagePath: nil)
            ]).first?.id)
        try await Application(router: parts.router).test(.router) { client in
            try await client.execute(uri: "/api/v1/model", method: .get) { r in
                let count = try field(r.body, "training_cells", as: Int.self)
                #expect(count == served.images.count)
            }
            var id = 0
            var image = ""
            try await client.execute(uri: "/api/v1/predictions", method: .post, headers: [.contentType: "image/jpeg"], body: ByteBuffer(data: jpeg)) { r in
                let p = try #require((try object(r.body)["predictions"] as? [[String: Any]])?.first)
                id = try #require(p["id"] as? Int)
                let nearest = try #require(p["nearest"] as? [[String: Any]])
                #expect(nearest.count == CellClassifier.nearestCount)
                #expect(nearest[0]["file_name"] as? String == served.images[3].lastPathComponent)
                #expect((nearest[0]["similarity"] as? Double ?? 0) > 0.999)
                let similarities = nearest.compactMap { $0["similarity"] as? Double }
                #expect(similarities == similarities.sorted(by: >))
                #expect(nearest.allSatisfy { $0["label"] is String && $0["cell_type"] is String })
                image = try #require(nearest[1]["image"] as? String)
            }
            try await client.execute(uri: "/" + image, method: .get) { r in
                #expect(r.status == .ok && r.headers[.contentType] == "image/png")
                #expect(Array(Data(buffer: r.body).prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
            }
            try await client.execute(uri: "/api/v1/training-cells/\(served.images.count)/image", method: .get) { r in
                #expect(r.status == .notFound)
                let message = try errorMessage(r.body)
                #expect(message.contains("no training cell"))
            }
            // The history keeps them.
            try await client.execute(uri: "/api/v1/predictions/\(id)", method: .get) { r in
                let nearest = try #require(try object(r.body)["nearest"] as? [[String: Any]])
                #expect(nearest.first?["file_name"] as? String == served.images[3].lastPathComponent)
            }
            try await client.execute(uri: "/api/v1/predictions/\(older)", method: .get) { r in
                let nearest = try #require(try object(r.body)["nearest"] as? [[String: Any]])
                #expect(nearest.count == 1 && nearest[0]["index"] as? Int == 0)
                #expect(nearest[0]["file_name"] == nil && nearest[0]["image"] == nil && nearest[0]["label"] == nil)
            }
        }
    }

    /// `/metrics` counts requests by route and status, times predictions and reports the queue.
    @Test func metricsCountRequestsAndPredictions() async throws {
        let parts = try served.parts()
        let jpeg = try Data(contentsOf: served.images[0])
        try await Application(router: parts.router).test(.router) { client in
            try await client.execute(uri: "/api/v1/predictions", method: .post, body: ByteBuffer(data: jpeg)) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/api/v1/predictions/12345", method: .get) { r in #expect(r.status == .notFound) }
            try await client.execute(uri: "/nowhere", method: .get) { r in #expect(r.status == .notFound) }
            try await client.execute(uri: "/metrics", method: .get) { r in
                let body = text(r.body)
                #expect(r.headers[.contentType]?.hasPrefix("text/plain") == true)
                #expect(body.contains(#"wbc_http_requests_total{route="/api/v1/predictions",method="POST",status="200"} 1"#))
                #expect(body.contains(#"wbc_http_requests_total{route="/api/v1/predictions/{id}",method="GET",status="404"} 1"#))
                #expect(body.contains(#"wbc_http_requests_total{route="other",method="GET",status="404"} 1"#))
                #expect(body.contains("wbc_prediction_duration_seconds_count 1"))
                #expect(body.contains("wbc_classified_images_total 1"))
                #expect(body.contains("wbc_inference_queue_depth 0"))
            }
        }
        #expect(ServerApplication.route(method: "PATCH", path: "/api/v1/predictions/7") == "/api/v1/predictions/{id}")
        #expect(ServerApplication.route(method: "DELETE", path: "/api/v1/predictions/7") == nil)
    }

    /// A full queue answers 503 with Retry-After; the server serves again once the worker is free.
    @Test func fullQueueAnswers503() async throws {
        let parts = try served.parts()
        let gate = DispatchSemaphore(value: 0)
        let classifier = parts.classifier
        // The worker holds its first batch until the gate opens: the queue (capacity 1) stays full meanwhile.
        let queue = InferenceQueue(classifier: classifier, capacity: 1) { images in
            gate.wait()
            return try classifier.classify(prepared: images)
        }
        var options = ServerOptions()
        options.database = parts.store.pool.path
        let router = ServerApplication.router(queue: queue, store: parts.store, options: options)
        let jpeg = try Data(contentsOf: served.images[0])
        try await Application(router: router).test(.router) { client in
            async let first: HTTPResponse.Status = client.execute(uri: "/api/v1/predictions", method: .post, body: ByteBuffer(data: jpeg)) { $0.status }
            while queue.depth == 0 { try await Task.sleep(for: .milliseconds(5)) }
            try await client.execute(uri: "/api/v1/predictions", method: .post, body: ByteBuffer(data: jpeg)) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(r.headers[.retryAfter] == "2")
                let message = try errorMessage(r.body)
                #expect(message.contains("busy"))
            }
            // The queue refuses before decoding: a damaged image gets 503 too, not the 422 decoding would give.
            let damaged = Data(jpeg.prefix(jpeg.count / 3))
            try await client.execute(uri: "/api/v1/predictions", method: .post, headers: [.contentType: "image/jpeg"], body: ByteBuffer(data: damaged)) { r in
                #expect(r.status == .serviceUnavailable)
            }
            gate.signal()
            #expect(try await first == .ok)
            // With room in the queue the damaged image is decoded, refused, and gives its place back.
            try await client.execute(uri: "/api/v1/predictions", method: .post, headers: [.contentType: "image/jpeg"], body: ByteBuffer(data: damaged)) { r in
                #expect(r.status == .unprocessableContent)
            }
            #expect(queue.depth == 0)
            gate.signal()
            try await client.execute(uri: "/api/v1/predictions", method: .post, body: ByteBuffer(data: jpeg)) { r in #expect(r.status == .ok) }
        }
        #expect(try parts.store.count() == 2)
        #expect(queue.depth == 0)
    }

    /// An image above the pixel limit is refused with 422 naming the limit; nothing is recorded.
    @Test func imageAboveThePixelLimitIsRefused() async throws {
        let parts = try served.parts { $0.maxMegapixels = 0.001 }  // 1,000 pixels; the test images have 4,096 or more
        let jpeg = try Data(contentsOf: served.images[0])
        try await Application(router: parts.router).test(.router) { client in
            try await client.execute(uri: "/api/v1/predictions", method: .post, headers: [.contentType: "image/jpeg"], body: ByteBuffer(data: jpeg)) { r in
                #expect(r.status == .unprocessableContent)
                let message = try errorMessage(r.body)
                #expect(message.contains("pixel"), "\(message)")
            }
        }
        #expect(try parts.store.count() == 0)
    }

    /// `--keep-images`: the bytes are kept under their digest, and the history says where.
    @Test func keptImagesAreStoredAndRecorded() async throws {
        let folder = served.root.appendingPathComponent("kept-\(UUID())").path
        let parts = try served.parts { $0.keepImages = folder }
        let png = try ImageEncoding.png(try ImageDecoding.decode(Data(contentsOf: served.images[2])))
        try await Application(router: parts.router).test(.router) { client in
            try await client.execute(uri: "/api/v1/predictions", method: .post, body: ByteBuffer(bytes: png)) { r in #expect(r.status == .ok) }
        }
        let record = try #require(try parts.store.list(limit: 1, offset: 0).records.first)
        #expect(record.imagePath == folder + "/\(record.sha256).png")
        #expect(try Data(contentsOf: URL(fileURLWithPath: try #require(record.imagePath))) == Data(png))
        #expect(try parts.store.csv().contains(folder))
    }

    /// A history written before the nearest cells and kept images existed opens, and keeps its records.
    @Test func olderHistoryIsMigrated() throws {
        let path = served.root.appendingPathComponent("v1-\(UUID()).sqlite").path
        do {
            let pool = try DatabasePool(path: path)
            try CaseStore.migrator.migrate(pool, upTo: "v1: predictions")
            try pool.write { db in
                try db.execute(
                    sql:
                        "INSERT INTO prediction (created_at, file_name, sha256, model_digest, cell_type, cluster, confidence, probabilities) VALUES ('2026-12-01T00:00:00Z', 'old.jpeg', 'ab', 'cd', 'MONOCYTE', 2, 0.9, '[0.9]')"
                )
            }
        }
        let store = try CaseStore(path: path)
        let old = try #require(try store.record(id: 1))
        #expect(old.fileName == "old.jpeg" && old.nearest == nil && old.imagePath == nil)
        #expect(try store.review(id: 1, type: "LYMPHOCYTE")?.reviewedType == "LYMPHOCYTE")
    }
}

enum SHA256Hex {
    static func of(_ data: Data) -> String { Models.SHA256.hash(data).hex }
}
