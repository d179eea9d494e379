import Foundation
import Hummingbird
import Imaging

/// An error answered as JSON, `{"error": {"status": 415, "message": "…"}}`, with the status it names.
public struct APIError: HTTPResponseError, Encodable, Sendable {
    public let status: HTTPResponse.Status
    public let message: String
    /// Seconds a client should wait before retrying (503).
    public var retryAfter: Int?

    public init(_ status: HTTPResponse.Status, _ message: String, retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
    }

    /// 415 for bytes that are no image, 422 for a damaged image or one above the pixel limit.
    public init(decoding error: ImageDecodingError, file: String) {
        switch error {
        case .empty, .unknownFormat: self.init(.unsupportedMediaType, "\(file): \(error)")
        default: self.init(.unprocessableContent, "\(file): \(error)")
        }
    }

    enum CodingKeys: String, CodingKey { case status, message }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Int(status.code), forKey: .status)
        try c.encode(message, forKey: .message)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        let body = try JSONEncoder().encode(["error": self])
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: body)))
    }
}

/// Answers a request for a route the server does not have with the JSON error shape (Hummingbird's own 404
/// has an empty body), naming the request and where the routes are listed.
struct UnknownRouteMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            throw APIError(.notFound, "no route \(request.method) \(request.uri.path); the routes are listed at /openapi.json")
        }
    }
}

/// With `--token-file`: every `/api` route needs `Authorization: Bearer <token>`, compared in constant time.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]
    init(token: String) { self.token = Array(token.utf8) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/api/") else { return try await next(request, context) }
        let given = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? Array($0.dropFirst(7).utf8) : nil } ?? []
        guard Self.equalInConstantTime(given, token) else {
            throw APIError(.unauthorized, "this server needs 'Authorization: Bearer <token>' with the token of its --token-file")
        }
        return try await next(request, context)
    }

    /// Whether `a` equals `b`, in a time that depends on their lengths only.
    static func equalInConstantTime(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }
}
