/// The metrics of one clustering against known labels (one split of `metrics.json`).
public struct ClusteringEvaluation: Sendable, Equatable, Codable {
    /// Accuracy under the optimal one-to-one cluster ↔ class matching, 0...1.
    public var accuracy: Double
    /// Normalised mutual information (arithmetic mean), 0...1.
    public var nmi: Double
    /// Adjusted Rand index, ≤ 1.
    public var ari: Double
    /// Mononuclear vs polymorphonuclear accuracy; `nil` when the class names are not the five cell types.
    public var mononuclearPolymorphonuclearAccuracy: Double?
    /// Counts, true class (rows, `classNames` order) × cluster (columns).
    public var confusion: [[Int]]
    /// Class index for every cluster (`ClusteringMetrics.clusterToClass(confusion:)`).
    public var clusterToClass: [Int?]
    /// Names of the classes, row order of `confusion`.
    public var classNames: [String]
    /// Number of points evaluated.
    public var count: Int
}
