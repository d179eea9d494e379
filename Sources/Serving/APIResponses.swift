import Foundation
import Workflows

/// `GET /api/v1/model`: what answers the predictions.
struct ModelDescription: Encodable {
    var cell_types: [String]
    var k: Int
    var backbone: String
    var image_size: Int
    var method: String
    var checkpoint_sha256: String
    var metrics: [String: SplitMetrics]

    init(_ c: CellClassifier) {
        cell_types = (0..<c.model.k).map { c.model.cellType(ofCluster: $0) }
        k = c.model.k
        backbone = c.settings.backbone.rawValue
        image_size = c.settings.size
        method = c.settings.method
        checkpoint_sha256 = c.modelDigest
        metrics = c.metrics
    }
}

/// One image of a `POST /api/v1/predictions` answer: its recorded prediction, or why it was not read.
struct PredictionItem: Encodable {
    var id: Int64?
    var file_name: String
    var sha256: String?
    var cell_type: String?
    var cluster: Int?
    var confidence: Float?
    var probabilities: [Float]?
    /// What the model saw: the crop at its input size, a PNG data URL.
    var crop: String?
    var warning: String?
    var error: APIError?

    init(record: CaseRecord?, classified c: CellClassifier.Classified) {
        id = record?.id
        file_name = record?.fileName ?? ""
        sha256 = record?.sha256
        cell_type = c.cellType
        cluster = c.cluster
        confidence = c.confidence
        probabilities = c.probabilities
        crop = "data:image/png;base64," + Data(c.crop).base64EncodedString()
        warning = c.warning
    }

    init(fileName: String, error: APIError) {
        file_name = fileName
        self.error = error
    }
}

/// A prediction as the history holds it.
struct StoredPrediction: Encodable {
    var id: Int64
    var created_at: String
    var file_name: String
    var sha256: String
    var model_digest: String
    var cell_type: String
    var cluster: Int
    var confidence: Double
    var probabilities: [Double]
    var reviewed_type: String?
    var reviewed_at: String?

    init(_ r: CaseRecord) {
        id = r.id ?? 0
        created_at = r.createdAt
        file_name = r.fileName
        sha256 = r.sha256
        model_digest = r.modelDigest
        cell_type = r.cellType
        cluster = r.cluster
        confidence = r.confidence
        probabilities = (try? JSONDecoder().decode([Double].self, from: Data(r.probabilities.utf8))) ?? []
        reviewed_type = r.reviewedType
        reviewed_at = r.reviewedAt
    }
}

/// `GET /api/v1/predictions`: one page of the history, newest first.
struct PredictionPage: Encodable {
    var total: Int
    var limit: Int
    var offset: Int
    var items: [StoredPrediction]
}
