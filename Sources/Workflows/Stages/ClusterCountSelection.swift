import Clustering
import Determinism
import Foundation

/// `k` chosen from the data (`kRange`): k-means on the frozen training features for every k in the range, each
/// scored by its mean silhouette on a seeded sample of up to `sampleSize` images; the best-separated k wins.
/// No label is used. Each k's score goes to log.csv (stage `k-selection`), so the report can draw the curve.
enum ClusterCountSelection {
    static let sampleSize = 1_500

    /// The chosen k, and the features it was chosen on (for the method to reuse).
    static func choose(_ context: ClusteringContext, range: ClosedRange<Int>) throws -> (k: Int, features: FrozenFeatures) {
        let s = context.settings
        let data = try FrozenFeatures(context)
        guard range.lowerBound >= 2, range.upperBound < data.n else {
            throw WorkflowError(
                "\(setting: .k) auto tries \(range.lowerBound)–\(range.upperBound) clusters, which does not fit \(data.n) usable images (2 to \(data.n - 1)); give a smaller range or a fixed \(setting: .k)"
            )
        }
        var rng = SeededGenerator(seed: s.seed ^ 0x51_1407)
        var sample = Array(0..<data.n)
        rng.shuffle(&sample)
        sample = Array(sample.prefix(sampleSize)).sorted()
        var x = [Float]()
        x.reserveCapacity(sample.count * data.d)
        for i in sample { x += data.features[(i * data.d)..<((i + 1) * data.d)] }
        var scores: [(k: Int, score: Double)] = []
        for k in range {
            let t0 = monotonicSeconds()
            let km = try KMeans(k: k, restarts: 3, seed: s.seed).fit(data.features, n: data.n, d: data.d)
            let score = try Silhouette.mean(x, n: sample.count, d: data.d, labels: sample.map { km.labels[$0] }, k: k)
            scores.append((k, score))
            try context.events.emit(
                .epoch(
                    EpochRecord(
                        stage: "k-selection", epoch: k, epochs: 0, step: 0, loss: score, lossName: "silhouette", seconds: monotonicSeconds() - t0,
                        images: data.n, notes: ["k = \(k)"], printed: false)))
        }
        let best = scores.max { $0.score < $1.score }!.k
        try context.events.note(
            "k: the silhouette is highest at k = \(best) (" + scores.map { String(format: "%d: %.3f", $0.k, $0.score) }.joined(separator: ", ") + ")")
        return (best, data)
    }
}
