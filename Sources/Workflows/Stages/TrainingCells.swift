import Compute
import Foundation

/// The run's training images as its clustering model sees them: the features `evaluate` wrote
/// (`features-train.npy`) and the rows of `assignments.csv`, so that a new cell can be shown beside the most
/// similar cells the model was trained on (cosine similarity of the features the head takes).
///
/// Not thread-safe: searched by one caller at a time (the server's inference worker), on oneDNN's thread pool.
public final class TrainingCells: @unchecked Sendable {
    public struct Cell: Sendable, Equatable {
        public var path: String
        public var cluster: Int
        public var cellType: String
        /// The image's label, nil when it has none.
        public var label: String?
    }

    /// A training cell similar to a new one: its index in `cells` and the cosine similarity.
    public struct Match: Sendable, Equatable {
        public var index: Int
        public var similarity: Float
        public init(index: Int, similarity: Float) {
            self.index = index
            self.similarity = similarity
        }
    }

    public let cells: [Cell]
    /// The features with rows of unit length, `[N, D]`.
    private let unitFeatures: Tensor
    public var dimension: Int { unitFeatures.shape[1] }

    init(cells: [Cell], features: [Float], dimension: Int) throws {
        self.cells = cells
        unitFeatures = try Tensor(
            shape: [cells.count, dimension], values: ContrastiveLosses.l2Normalize(features, rows: cells.count, columns: dimension))
    }

    /// The training cells of `run` as `model` sees them; throws, saying why and what to do, when the run holds none
    /// or holds those of another model (the run was clustered again and its training set not evaluated since).
    public static func load(run: RunDirectory, model: ClusterModel) throws -> TrainingCells {
        let metrics = run.metricsFile.read()["train"]
        let evaluateTraining = "`wbc evaluate --run \(run.root.path) --data TRAIN-FOLDER --split train`"
        guard let metrics, metrics.model == model.identity else {
            throw WorkflowError(
                "\(run.root.path) has \(metrics == nil ? "no evaluated training set" : "training-set features of an earlier model") (metrics.json, features-train.npy); run \(evaluateTraining) to have them"
            )
        }
        guard let (features, shape) = run.featuresFile("train").read(), shape.count == 2, shape[1] == model.head.dimension else {
            throw WorkflowError(
                "\(run.features("train").path) is missing, or is not float32 [N, \(model.head.dimension)]; run \(evaluateTraining) again"
            )
        }
        let rows = run.assignmentsFile.read().filter { $0.split == "train" }
        guard rows.count == shape[0], !rows.isEmpty else {
            throw WorkflowError(
                "\(run.assignments.path) lists \(rows.count) training images but \(run.features("train").lastPathComponent) has \(shape[0]) rows; run \(evaluateTraining) again"
            )
        }
        let cells = rows.map { Cell(path: $0.path, cluster: $0.cluster, cellType: $0.cellType, label: $0.label.isEmpty ? nil : $0.label) }
        return try TrainingCells(cells: cells, features: features, dimension: shape[1])
    }

    /// The `count` most similar training cells of each of the `n` feature rows `z` (`[n, D]`), most similar first
    /// (ties by index): one matrix product on oneDNN.
    public func nearest(_ z: [Float], n: Int, count: Int) throws -> [[Match]] {
        let d = dimension
        guard n > 0 else { return [] }
        let query = try Tensor(shape: [n, d], values: ContrastiveLosses.l2Normalize(z, rows: n, columns: d))
        let similarity = try MatrixOps.matmul(query, unitFeatures, transposeB: true).toArray()
        let total = cells.count
        return (0..<n).map { r in
            NearestNeighbours.largest(similarity[(r * total)..<((r + 1) * total)], count: count)
                .map { Match(index: $0.index, similarity: $0.value) }
        }
    }
}
