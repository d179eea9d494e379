import Foundation
import Hummingbird
import Prometheus

/// What `GET /metrics` reports, in Prometheus's text format: requests by route, method and status, the latency of
/// prediction requests, the images classified, and the inference queue's depth.
public final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let predictionLatency: DurationHistogram
    let classifiedImages: Counter
    let queueDepth: Gauge

    public init() {
        predictionLatency = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "wbc", metricName: "prediction_duration", unitName: "seconds",
                helpText: "POST /api/v1/predictions answered with 200: from the request to its answer (decoding, the queue, the model, the commit)."),
            buckets: [5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000].map { Duration.milliseconds($0) })
        classifiedImages = registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "wbc", metricName: "classified_images", unitName: "total", helpText: "Images classified and recorded."))
        queueDepth = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "wbc", metricName: "inference_queue_depth", helpText: "Images waiting for the model or being classified."))
    }

    /// Counts one answered request; `route` is the route's pattern (`/api/v1/predictions/{id}`), or "other".
    func countRequest(route: String, method: String, status: Int) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "wbc", metricName: "http_requests", unitName: "total", helpText: "Requests answered, by route, method and status."),
            labels: [("route", route), ("method", method), ("status", String(status))]
        ).increment()
    }

    /// The exposition text, with the queue depth read now.
    func text(queueDepth depth: Int) -> String {
        queueDepth.set(Double(depth))
        return registry.emitToString()
    }
}

/// Counts every request by the route it matched (the page, the API, errors alike), outermost, so that 401s and
/// 404s are counted too.
struct RequestCountingMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let route = ServerApplication.route(method: request.method.rawValue, path: request.uri.path) ?? "other"
        do {
            let response = try await next(request, context)
            metrics.countRequest(route: route, method: request.method.rawValue, status: response.status.code)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.countRequest(route: route, method: request.method.rawValue, status: status)
            throw error
        }
    }
}
