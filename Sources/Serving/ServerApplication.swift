import Foundation
import HTTPTypes
import Hummingbird
import Imaging
import Models
import Workflows

/// `wbc serve`'s settings.
public struct ServerOptions: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// The case history's SQLite file.
    public var database = "wbc-cases.sqlite"
    /// A request body larger than this is refused with 413.
    public var maxUploadBytes = 20 << 20
    /// With a token, every `/api` route needs `Authorization: Bearer <token>`.
    public var token: String?
    /// Images waiting for the model beyond which requests get 503.
    public var queueCapacity = 256
    /// Images classified at once.
    public var batchSize = 32
    /// With a folder, every classified image's bytes are kept there as `SHA256.EXT`, and the history records where.
    public var keepImages: String?
    /// Images above this many megapixels are refused with 422 (nil: the run's limit).
    public var maxMegapixels: Double?
    public init() {}
}

/// The HTTP side of `wbc serve`: the page, the JSON API under `/api/v1`, its OpenAPI document.
public enum ServerApplication {
    /// The routes the server answers, as the OpenAPI document lists them (`{id}` for path parameters).
    public static let routes: [(method: String, path: String)] = [
        ("GET", "/"), ("GET", "/healthz"), ("GET", "/metrics"), ("GET", "/openapi.json"), ("GET", "/api/v1/model"),
        ("POST", "/api/v1/predictions"), ("GET", "/api/v1/predictions"), ("GET", "/api/v1/predictions.csv"),
        ("GET", "/api/v1/predictions/{id}"), ("PATCH", "/api/v1/predictions/{id}"),
        ("GET", "/api/v1/training-cells/{index}/image"),
    ]

    /// The route pattern a request's path matches (`/api/v1/predictions/{id}` for `/api/v1/predictions/7`), nil
    /// for none: a bounded set of labels for the metrics.
    static func route(method: String, path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return routes.first { route in
            let pattern = route.path.split(separator: "/", omittingEmptySubsequences: false)
            return route.method == method && pattern.count == parts.count
                && zip(pattern, parts).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }?.path
    }

    /// The router with every route; `queue` classifies, `store` records, `metrics` counts.
    public static func router(
        queue: InferenceQueue, store: CaseStore, options: ServerOptions, metrics: ServerMetrics = ServerMetrics()
    ) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: RequestCountingMiddleware(metrics: metrics))
        router.add(middleware: UnknownRouteMiddleware())
        if let token = options.token { router.add(middleware: BearerTokenMiddleware(token: token)) }
        let classifier = queue.classifier
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: ServerPage.html)))
        }
        router.get("/healthz") { _, _ in try json(["status": "ok"]) }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.text(queueDepth: queue.depth))))
        }
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        router.get("/api/v1/model") { _, _ in try json(ModelDescription(classifier)) }
        router.post("/api/v1/predictions") { request, context in
            let start = ContinuousClock.now
            var request = request
            let body = try await request.collectBody(upTo: options.maxUploadBytes)
            let images = try UploadedImages.parse(
                body: Data(buffer: body), contentType: request.headers[.contentType],
                fileName: request.headers[HTTPField.Name("X-File-Name")!])
            let outcomes: [InferenceQueue.Outcome]
            do { outcomes = try await queue.classify(images) } catch is InferenceQueue.Full {
                throw APIError(.serviceUnavailable, "the server is busy (\(queue.capacity) images queued); retry in a few seconds", retryAfter: 2)
            }
            let response = try await predictionsResponse(
                images: images, outcomes: outcomes, store: store, classifier: classifier, keepImages: options.keepImages)
            metrics.predictionLatency.record(ContinuousClock.now - start)
            metrics.classifiedImages.increment(by: Int64(outcomes.filter { (try? $0.get()) != nil }.count))
            return response
        }
        router.get("/api/v1/predictions") { request, _ in
            let (limit, offset, type, needsReview) = try listQuery(request)
            let page = try store.list(limit: limit, offset: offset, type: type, needsReview: needsReview)
            let items = page.records.map { StoredPrediction($0, classifier: classifier) }
            return try json(PredictionPage(total: page.total, limit: limit, offset: offset, items: items))
        }
        router.get("/api/v1/predictions.csv") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"cases.csv\""],
                body: .init(byteBuffer: ByteBuffer(string: try store.csv())))
        }
        router.get("/api/v1/predictions/:id") { _, context in
            let id = try predictionID(context)
            guard let record = try store.record(id: id) else { throw APIError(.notFound, "no prediction \(id)") }
            return try json(StoredPrediction(record, classifier: classifier))
        }
        router.patch("/api/v1/predictions/:id") { request, context in
            let id = try predictionID(context)
            var request = request
            let body = try await request.collectBody(upTo: 64 << 10)
            struct Review: Decodable { var reviewed_type: String }
            guard let review = try? JSONDecoder().decode(Review.self, from: Data(buffer: body)) else {
                throw APIError(.badRequest, "the body must be JSON like {\"reviewed_type\": \"MONOCYTE\"}")
            }
            let known = classifier.model.classNames
            guard known.isEmpty || known.contains(where: { $0.caseInsensitiveCompare(review.reviewed_type) == .orderedSame }) else {
                throw APIError(.unprocessableContent, "'\(review.reviewed_type)' is not a cell type of this model (\(known.joined(separator: ", ")))")
            }
            guard let record = try store.review(id: id, type: review.reviewed_type) else { throw APIError(.notFound, "no prediction \(id)") }
            return try json(StoredPrediction(record, classifier: classifier))
        }
        router.get("/api/v1/training-cells/:index/image") { _, context in
            guard let index = context.parameters.get("index", as: Int.self) else {
                throw APIError(.badRequest, "the training cell index must be an integer (got '\(context.parameters.get("index") ?? "")')")
            }
            let png: [UInt8]
            do { png = try classifier.trainingCellCrop(index) } catch let error as WorkflowError {
                throw APIError(.notFound, error.message)
            }
            return Response(
                status: .ok, headers: [.contentType: "image/png", .cacheControl: "max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(bytes: png)))
        }
        return router
    }

    /// Records every classified image (one transaction; with `keepImages`, after its bytes are stored there), then
    /// answers: 200 with one entry per image; when no image could be read, the first one's error (415 not an
    /// image, 422 damaged or too large).
    static func predictionsResponse(
        images: [(name: String, data: Data)], outcomes: [InferenceQueue.Outcome], store: CaseStore, classifier: CellClassifier,
        keepImages: String?
    ) async throws -> Response {
        if !outcomes.isEmpty, outcomes.allSatisfy({ if case .failure = $0 { return true } else { return false } }),
            case .failure(let error) = outcomes[0]
        {
            throw APIError(decoding: error, file: images[0].name)
        }
        let now = CaseStore.timestamp(Date())
        var records: [CaseRecord] = []
        for (image, outcome) in zip(images, outcomes) {
            guard case .success(let c) = outcome else { continue }
            let sha256 = SHA256.hash(image.data).hex
            records.append(
                CaseRecord(
                    id: nil, createdAt: now, fileName: image.name, sha256: sha256, modelDigest: classifier.modelDigest,
                    cellType: c.cellType, cluster: c.cluster, confidence: Double(c.confidence),
                    probabilities: String(decoding: try JSONEncoder().encode(c.probabilities), as: UTF8.self),
                    nearest: c.nearest.isEmpty ? nil : NearestCell.stored(c.nearest),
                    imagePath: try keepImages.map { try keep(image.data, sha256: sha256, in: $0) }))
        }
        var stored = try store.insert(records).makeIterator()  // committed before the response is sent
        var items: [PredictionItem] = []
        for (image, outcome) in zip(images, outcomes) {
            switch outcome {
            case .success(let c):
                items.append(PredictionItem(record: stored.next(), classified: c, classifier: classifier))
            case .failure(let error):
                items.append(PredictionItem(fileName: image.name, error: APIError(decoding: error, file: image.name)))
            }
        }
        return try json(["predictions": items])
    }

    /// Stores an image's bytes as `folder/SHA256.EXT` (once: the name is the content) and returns the path.
    static func keep(_ data: Data, sha256: String, in folder: String) throws -> String {
        let ext = ImageFormat.sniff(data).map(\.rawValue) ?? "bin"
        let url = URL(fileURLWithPath: folder, isDirectory: true).appendingPathComponent("\(sha256).\(ext)")
        if !FileManager.default.fileExists(atPath: url.path) {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                try AtomicText.write(data, to: url)
            } catch {
                throw APIError(.internalServerError, "the image could not be kept in --keep-images \(folder): \(error)")
            }
        }
        return url.path
    }

    static func listQuery(_ request: Request) throws -> (limit: Int, offset: Int, type: String?, needsReview: Bool) {
        let q = request.uri.queryParameters
        func integer(_ name: String, _ fallback: Int, _ range: ClosedRange<Int>) throws -> Int {
            guard let text = q[Substring(name)] else { return fallback }
            guard let value = Int(text), range.contains(value) else {
                throw APIError(.badRequest, "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound) (got '\(text)')")
            }
            return value
        }
        let needsReview = q["needs_review"].map { $0 == "true" || $0 == "1" } ?? false
        return (try integer("limit", 50, 1...500), try integer("offset", 0, 0...Int(Int32.max)), q["type"].map(String.init), needsReview)
    }

    static func predictionID(_ context: BasicRequestContext) throws -> Int64 {
        guard let id = context.parameters.get("id", as: Int64.self) else {
            throw APIError(.badRequest, "the prediction id must be an integer (got '\(context.parameters.get("id") ?? "")')")
        }
        return id
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: try encoder.encode(value))))
    }
}

extension Data {
    init(buffer: ByteBuffer) { self = Data(buffer.readableBytesView) }
}
