import Clustering
import Compute
import Foundation
import Models

/// Average-linkage agglomerative clustering on cosine distances (`AverageLinkage`) of the frozen encoder's
/// features. It has no preference for clusters of equal size: where the features set a rare type apart, the type
/// keeps a cluster of its own, while k-means and SCAN's entropy term spend that cluster on splitting a common type.
/// New images go to the nearest cluster mean (a Student's t head on the clusters' centres, as k-means' is). It keeps
/// an n × n distance matrix, so it takes up to `AverageLinkage.maximumPoints` images.
public struct AgglomerativeClustering: ClusteringMethod {
    public let name = "agglomerative"
    public let summary = "average-linkage clustering on cosine distances, with no preference for equal sizes (for rare types)"

    public func fit(_ context: ClusteringContext) throws -> ClusteringOutcome {
        try context.accept()
        let s = context.settings
        let data = try context.frozenFeatures ?? FrozenFeatures(context)
        let t0 = monotonicSeconds()
        let labels: [Int]
        do {
            labels = try AverageLinkage.labels(data.features, n: data.n, d: data.d, k: s.k)
        } catch let error as ClusteringError {
            throw WorkflowError(
                "\(setting: .method) \(name) on \(data.n) images of \(context.train.name): \(error.description); use \(setting: .method) kmeans or scan"
            )
        }
        // The centres are the means of the features as the head sees them (unit-length or not).
        let d = data.d
        var centres = [Double](repeating: 0, count: s.k * d)
        var sizes = [Int](repeating: 0, count: s.k)
        for (i, c) in labels.enumerated() {
            sizes[c] += 1
            for t in 0..<d { centres[c * d + t] += Double(data.features[i * d + t]) }
        }
        for c in 0..<s.k { for t in 0..<d { centres[c * d + t] /= Double(sizes[c]) } }
        var inertia = 0.0
        for (i, c) in labels.enumerated() {
            for t in 0..<d {
                let v = Double(data.features[i * d + t]) - centres[c * d + t]
                inertia += v * v
            }
        }
        let head = StudentTHead(centres: try Tensor(shape: [s.k, d], values: centres.map(Float.init)), alpha: s.alpha)
        let ev = try? ClusteringScore.evaluate(labels: data.labels, clusters: labels, classNames: context.train.dataset.classNames, k: s.k)
        try context.events.emit(
            .epoch(
                EpochRecord(
                    stage: name, epoch: 0, epochs: 0, step: 0, loss: inertia, lossName: "inertia", accuracy: ev?.accuracy, nmi: ev?.nmi,
                    seconds: monotonicSeconds() - t0, images: data.n, notes: ["cluster sizes " + sizes.map(String.init).joined(separator: "/")])))
        return ClusteringOutcome(
            model: context.model(head: head), epoch: 0, epochsRun: 0,
            stopReason: "average linkage (cosine), cluster sizes " + sizes.map(String.init).joined(separator: "/"), lastLoss: inertia,
            kmeansInertia: nil)
    }

    /// One cluster with over 90 % of the images means that the rest are a few outliers: the features hold no `k`
    /// separate groups that average linkage can find.
    public func collapseError(largest: Int, of n: Int, sizes: [Int], settings: RunSettings) -> WorkflowError? {
        WorkflowError(
            "average linkage put \(largest) of \(n) images in one cluster (cluster sizes \(sizes)): the other clusters are a few outlying images, not types. Use \(setting: .method) kmeans or scan, or a larger \(setting: .k) (now \(settings.k))"
        )
    }
}
