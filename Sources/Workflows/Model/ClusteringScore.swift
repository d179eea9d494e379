import Clustering

/// Scores clusters against labels, for reports only: labels never train or choose anything.
public enum ClusteringScore {
    /// Metrics over the labelled images (a labels.csv may leave some unlabelled, or give them several types);
    /// nil when none is labelled.
    public static func evaluate(labels: [Int?], clusters: [Int], classNames: [String], k: Int) throws -> ClusteringEvaluation? {
        let known = zip(labels, clusters).compactMap { label, cluster in label.map { ($0, cluster) } }
        guard !classNames.isEmpty, !known.isEmpty else { return nil }
        return try ClusteringMetrics.evaluate(labels: known.map(\.0), clusters: known.map(\.1), classNames: classNames, clusterCount: k)
    }
}
