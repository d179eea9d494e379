import Foundation

/// The OpenAPI 3.1 description of the server, served at `/openapi.json`; its paths are `ServerApplication.routes`.
enum OpenAPIDocument {
    static let summaries: [String: String] = [
        "GET /": "The page: upload cells, see what the model saw and its verdict, review, browse the history.",
        "GET /healthz": "Liveness: {\"status\": \"ok\"}.",
        "GET /metrics":
            "Prometheus text format: wbc_http_requests_total by route, method and status; wbc_prediction_duration_seconds (histogram); wbc_classified_images_total; wbc_inference_queue_depth. Not behind the token.",
        "GET /openapi.json": "This document.",
        "GET /api/v1/model":
            "Cell types, k, backbone (and the frozen ImageNet backbone joined to it, if any), image size, the run's metrics and the checkpoint's SHA-256.",
        "POST /api/v1/predictions":
            "Classify one or more images: multipart/form-data with file fields, or one raw image/* body (name in X-File-Name). Each image is recorded before the answer is sent. 413 above the upload limit, 415 not an image, 422 a damaged image or one above the pixel limit, 503 (Retry-After) when the queue is full.",
        "GET /api/v1/predictions":
            "The history, newest first: limit (1–500, default 50), offset, type (predicted or reviewed), needs_review=true (low confidence or a reviewer who disagreed).",
        "GET /api/v1/predictions.csv": "The whole history as CSV (as `wbc cases export`).",
        "GET /api/v1/predictions/{id}": "One prediction.",
        "PATCH /api/v1/predictions/{id}": "Record a reviewer's verdict: {\"reviewed_type\": \"MONOCYTE\"}.",
        "GET /api/v1/training-cells/{index}/image":
            "The crop the model sees of one of the run's training cells (PNG), as the nearest cells of a prediction link to it. 404 when the run has no such cell or its image file is gone.",
    ]

    static let json: String = {
        var paths: [String: [String: Any]] = [:]
        for route in ServerApplication.routes {
            var operation: [String: Any] = [
                "summary": summaries["\(route.method) \(route.path)"] ?? "",
                "responses": ["200": ["description": "OK"], "default": ["description": "An error: {\"error\": {\"status\", \"message\"}}"]],
            ]
            let parameters = route.path.split(separator: "/").filter { $0.hasPrefix("{") }.map { $0.dropFirst().dropLast() }
            if !parameters.isEmpty {
                operation["parameters"] = parameters.map { ["name": String($0), "in": "path", "required": true, "schema": ["type": "integer"]] }
            }
            if route.method == "POST" {
                operation["requestBody"] = [
                    "required": true,
                    "content": [
                        "multipart/form-data": ["schema": ["type": "object", "properties": ["file": ["type": "string", "format": "binary"]]]],
                        "image/*": ["schema": ["type": "string", "format": "binary"]],
                    ],
                ]
            }
            if route.method == "PATCH" {
                operation["requestBody"] = [
                    "required": true,
                    "content": [
                        "application/json": ["schema": ["type": "object", "required": ["reviewed_type"], "properties": ["reviewed_type": ["type": "string"]]]]
                    ],
                ]
            }
            paths[route.path, default: [:]][route.method.lowercased()] = operation
        }
        let document: [String: Any] = [
            "openapi": "3.1.0",
            "info": ["title": "wbc serve", "version": "1", "description": "White-blood-cell types of new images, with a reviewed case history."],
            "components": ["securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]]],
            "paths": paths,
        ]
        let data = try! JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted])
        return String(decoding: data, as: UTF8.self)
    }()
}
