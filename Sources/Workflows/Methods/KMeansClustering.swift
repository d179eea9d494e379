import Clustering
import Compute
import Foundation
import Models

/// k-means (k-means++ seeding, `kmeansRestarts` restarts, the lowest inertia kept) on the frozen encoder's
/// features; the centres become a Student's t head, as DEC's starting point is.
public struct KMeansClustering: ClusteringMethod {
    public let name = "kmeans"
    public let summary = "k-means on the pretrained encoder's features (no further training)"

    public func clustersFrozenFeatures(_ settings: RunSettings) -> Bool { true }

    public func fit(_ context: ClusteringContext) throws -> ClusteringOutcome {
        try context.accept()
        let start = try Self.initialCentres(context)
        var outcome = ClusteringOutcome(
            model: context.model(head: start.head), epoch: 0, epochsRun: 0, stopReason: "k-means only",
            lastLoss: start.inertia, kmeansInertia: start.inertia)
        outcome.frozenFeatures = start.data
        return outcome
    }

    /// k-means on every usable training image's features (evaluation mode; those `--k auto` already made, when it
    /// did): the head, each image's cluster by dataset index, the inertia and the features. Reports the result as
    /// the `kmeans` epoch.
    static func initialCentres(_ context: ClusteringContext) throws -> (head: StudentTHead, labels: [Int: Int], inertia: Double, data: FrozenFeatures) {
        let s = context.settings
        let data = try context.frozenFeatures ?? FrozenFeatures(context)
        let (features, labels, indices, d) = (data.features, data.labels, data.indices, data.d)
        let t0 = monotonicSeconds()
        let km = try KMeans(k: s.k, restarts: s.kmeansRestarts, seed: s.seed).fit(features, n: indices.count, d: d)
        let head = StudentTHead(centres: try Tensor(shape: [s.k, d], values: km.centres), alpha: s.alpha)
        let ev = try? ClusteringScore.evaluate(labels: labels, clusters: km.labels, classNames: context.train.dataset.classNames, k: s.k)
        try context.events.emit(
            .epoch(
                EpochRecord(
                    stage: "kmeans", epoch: 0, epochs: 0, step: 0, loss: km.inertia, lossName: "inertia",
                    accuracy: ev?.accuracy, nmi: ev?.nmi, seconds: monotonicSeconds() - t0, images: 0,
                    notes: ["\(s.kmeansRestarts) restarts"])))
        var byIndex: [Int: Int] = [:]
        for (i, idx) in indices.enumerated() { byIndex[idx] = km.labels[i] }
        return (head, byIndex, km.inertia, data)
    }
}
