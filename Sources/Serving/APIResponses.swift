import Foundation
import Workflows

/// `GET /api/v1/model`: what answers the predictions.
struct ModelDescription: Encodable {
    var cell_types: [String]
    var k: Int
    var backbone: String
    var image_size: Int
    /// The frozen ImageNet backbone whose features are joined to the encoder's (`--imagenet-features`), if any.
    var imagenet_features: String?
    var method: String
    var checkpoint_sha256: String
    var metrics: [String: SplitMetrics]
    /// Training cells the nearest ones are chosen from (0 when the run cannot give them).
    var training_cells: Int
    /// Why there are no nearest training cells.
    var training_cells_problem: String?

    init(_ c: CellClassifier) {
        cell_types = (0..<c.model.k).map { c.model.cellType(ofCluster: $0) }
        k = c.model.k
        backbone = c.settings.backbone.rawValue
        image_size = c.settings.size
        imagenet_features = c.model.imagenet.map { _ in ImageNetFeatures.backbone.rawValue }
        method = c.settings.method
        checkpoint_sha256 = c.modelDigest
        metrics = c.metrics
        training_cells = c.trainingCells?.cells.count ?? 0
        training_cells_problem = c.trainingCellsProblem
    }
}

/// One of the training cells most similar to a new one: what the model made of it, its label where known, and
/// where its crop is served.
struct NearestCell: Codable, Equatable {
    var index: Int
    var similarity: Float
    var file_name: String?
    var cluster: Int?
    var cell_type: String?
    var label: String?
    /// The crop the model saw of it, `api/v1/training-cells/{index}/image?model=DIGEST` (relative to the server's
    /// root; the digest keeps a browser's cached crop from outliving the model it belongs to).
    var image: String?

    /// `cells` is nil where the match belongs to another model than the one serving (an older history record):
    /// its index then points into a training set no longer loaded, so only the index and similarity are given.
    init(_ match: TrainingCells.Match, cells: TrainingCells?, modelDigest: String) {
        index = match.index
        similarity = match.similarity
        guard let cells, cells.cells.indices.contains(match.index) else { return }
        let cell = cells.cells[match.index]
        file_name = URL(fileURLWithPath: cell.path).lastPathComponent
        cluster = cell.cluster
        cell_type = cell.cellType
        label = cell.label
        image = "api/v1/training-cells/\(match.index)/image?model=\(modelDigest.prefix(16))"
    }

    /// As the history stores them: `[{"index": 12, "similarity": 0.93}, …]`.
    private struct Stored: Codable {
        var index: Int
        var similarity: Float
    }

    static func stored(_ matches: [TrainingCells.Match]) -> String {
        let data = try? JSONEncoder().encode(matches.map { Stored(index: $0.index, similarity: $0.similarity) })
        return String(decoding: data ?? Data("[]".utf8), as: UTF8.self)
    }

    static func parse(stored text: String?, cells: TrainingCells?, modelDigest: String) -> [NearestCell] {
        guard let data = text?.data(using: .utf8), let pairs = try? JSONDecoder().decode([Stored].self, from: data) else { return [] }
        return pairs.map {
            NearestCell(TrainingCells.Match(index: $0.index, similarity: $0.similarity), cells: cells, modelDigest: modelDigest)
        }
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
    var nearest: [NearestCell]?
    var error: APIError?

    init(record: CaseRecord?, classified c: CellClassifier.Classified, classifier: CellClassifier) {
        id = record?.id
        file_name = record?.fileName ?? ""
        sha256 = record?.sha256
        cell_type = c.cellType
        cluster = c.cluster
        confidence = c.confidence
        probabilities = c.probabilities
        crop = "data:image/png;base64," + Data(c.crop).base64EncodedString()
        warning = c.warning
        nearest = c.nearest.map { NearestCell($0, cells: classifier.trainingCells, modelDigest: classifier.modelDigest) }
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
    var nearest: [NearestCell]
    var image_path: String?

    /// The nearest cells of a record made by another model than `classifier`'s keep their index and similarity only.
    init(_ r: CaseRecord, classifier: CellClassifier) {
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
        let sameModel = r.modelDigest == classifier.modelDigest
        nearest = NearestCell.parse(stored: r.nearest, cells: sameModel ? classifier.trainingCells : nil, modelDigest: classifier.modelDigest)
        image_path = r.imagePath
    }
}

/// `GET /api/v1/predictions`: one page of the history, newest first.
struct PredictionPage: Encodable {
    var total: Int
    var limit: Int
    var offset: Int
    var items: [StoredPrediction]
}
