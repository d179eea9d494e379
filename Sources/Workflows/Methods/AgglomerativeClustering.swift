import Clustering
import Compute
import Foundation
import Models

/// Average-linkage agglomerative clustering on cosine distances (`AverageLinkage`) of the frozen encoder's
/// unit-length features. It has no preference for clusters of equal size: where the features set a rare type
/// apart, the type keeps a cluster of its own, while k-means and SCAN's entropy term spend that cluster on
/// splitting a common type. The clusters' means become a Student's t head, as k-means' centres do; like every
/// method's, the final assignment of the training images and of new ones is to the nearest mean, which can move
/// a few images of a large, spread-out cluster (the outcome says how many). It keeps an n × n distance matrix, so
/// it takes up to `AverageLinkage.maximumPoints` images.
public struct AgglomerativeClustering: ClusteringMethod {
    public let name = "agglomerative"
    public let summary = "average-linkage clustering on cosine distances, with no preference for equal sizes (for rare types)"

    public func clustersFrozenFeatures(_ settings: RunSettings) -> Bool { true }

    public func fit(_ context: ClusteringContext) throws -> ClusteringOutcome {
        try context.accept()
        let s = context.settings
        let data = try context.frozenFeatures ?? FrozenFeatures(context)
        let t0 = monotonicSeconds()
        let labels: [Int]
        do {
            labels = try AverageLinkage.labels(data.features, n: data.n, d: data.d, k: s.k)
        } catch ClusteringError.invalidParameter(_, _, let reason) {
            throw WorkflowError(
                "\(setting: .method) \(name) cannot cluster the \(data.n) images of \(context.train.name): \(reason); use \(setting: .method) kmeans or scan"
            )
        }
        let d = data.d
        var sizes = [Int](repeating: 0, count: s.k)
        for c in labels { sizes[c] += 1 }
        if let largest = collapsedClusterSize(sizes) { throw collapseMessage(largest: largest, of: data.n, sizes: sizes, settings: s) }
        let centres = try KMeans.means(data.features, n: data.n, d: d, labels: labels, k: s.k)
        var inertia = 0.0
        for (i, c) in labels.enumerated() {
            for t in 0..<d {
                let v = Double(data.features[i * d + t]) - Double(centres[c * d + t])
                inertia += v * v
            }
        }
        let head = StudentTHead(centres: try Tensor(shape: [s.k, d], values: centres), alpha: s.alpha)
        // The final assignment is the head's (the nearest mean): say how many images it moves from their linkage cluster.
        let nearest = try DECObjective.hardAssignments(q: head.probabilities(data.features, n: data.n), n: data.n, k: s.k)
        let moved = zip(labels, nearest).filter { $0 != $1 }.count
        let ev = try? ClusteringScore.evaluate(labels: data.labels, clusters: labels, classNames: context.train.dataset.classNames, k: s.k)
        let listed = sizes.map(String.init).joined(separator: "/")
        try context.events.emit(
            .epoch(
                EpochRecord(
                    stage: name, epoch: 0, epochs: 0, step: 0, loss: inertia, lossName: "inertia", accuracy: ev?.accuracy, nmi: ev?.nmi,
                    seconds: monotonicSeconds() - t0, images: 0, notes: ["cluster sizes \(listed)", "\(moved) images nearer another cluster's mean"])))
        var outcome = ClusteringOutcome(
            model: context.model(head: head), epoch: 0, epochsRun: 0,
            stopReason: "average linkage (cosine) found clusters of \(listed) images; each image then goes to the nearest cluster mean, which moves "
                + (moved == 0 ? "none of them" : "\(moved) of them" + String(format: " (%.1f %%)", 100 * Double(moved) / Double(data.n))),
            lastLoss: inertia, kmeansInertia: nil)
        outcome.frozenFeatures = data
        return outcome
    }

    public func collapseError(largest: Int, of n: Int, sizes: [Int], settings: RunSettings) -> WorkflowError? {
        collapseMessage(largest: largest, of: n, sizes: sizes, settings: settings)
    }

    /// One cluster with over 90 % of the images: the others are a few outlying images, and the features hold no
    /// `k` separate groups that average linkage can find.
    func collapseMessage(largest: Int, of n: Int, sizes: [Int], settings: RunSettings) -> WorkflowError {
        WorkflowError(
            "average linkage put \(largest) of \(n) images in one cluster (cluster sizes \(sizes)): the other clusters are a few outlying images, not types. Use \(setting: .method) kmeans or scan, or a larger \(setting: .k) (now \(settings.k))"
        )
    }
}
