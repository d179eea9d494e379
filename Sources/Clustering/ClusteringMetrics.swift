/// External clustering metrics against known class labels, matching scikit-learn where it has the metric.
///
/// Labels and clusters are integer codes; `accuracy`, `normalizedMutualInformation` and `adjustedRandIndex` accept
/// any integers (like scikit-learn), the matrix-shaped functions want indices below a stated count.
public enum ClusteringMetrics {
    /// Counts of (true class, cluster) pairs: `classCount` rows × `clusterCount` columns.
    public static func confusionMatrix(labels: [Int], clusters: [Int], classCount: Int, clusterCount: Int) throws -> [[Int]] {
        try checkPaired(labels, clusters)
        try validateLabels(labels, count: classCount, name: "labels")
        try validateLabels(clusters, count: clusterCount, name: "clusters")
        var counts = [[Int]](repeating: [Int](repeating: 0, count: clusterCount), count: classCount)
        for (l, c) in zip(labels, clusters) { counts[l][c] += 1 }
        return counts
    }

    /// The one-to-one cluster → class matching that maximises the matched counts (Hungarian algorithm on the
    /// confusion matrix, classes × clusters). Clusters left over when there are more clusters than classes get `nil`.
    public static func optimalMatching(confusion: [[Int]]) throws -> [Int?] {
        guard let clusterCount = confusion.first?.count, clusterCount > 0 else { return [] }
        let largest = Double(confusion.flatMap { $0 }.max() ?? 0)
        // Cost rows are clusters, columns are classes: minimising (largest − count) maximises the count.
        let cost = try (0..<clusterCount).map { c in
            try confusion.indices.map { l in
                guard confusion[l].count == clusterCount else {
                    throw ClusteringError.shapeMismatch(
                        name: "confusion row \(l)", expected: clusterCount,
                        actual: confusion[l].count)
                }
                return largest - Double(confusion[l][c])
            }
        }
        return try hungarianAssignment(cost: cost)
    }

    /// The cluster → class mapping used to name predictions: the optimal one-to-one matching, and for clusters left
    /// unmatched (more clusters than classes) their majority class. A cluster with no members and no match is `nil`.
    public static func clusterToClass(confusion: [[Int]]) throws -> [Int?] {
        var mapping = try optimalMatching(confusion: confusion)
        for c in mapping.indices where mapping[c] == nil {
            var best: Int?
            var bestCount = 0
            for l in confusion.indices where confusion[l][c] > bestCount {
                best = l
                bestCount = confusion[l][c]
            }
            mapping[c] = best
        }
        return mapping
    }

    /// Clustering accuracy: the fraction of points whose cluster is matched to their class under the best one-to-one
    /// cluster ↔ class matching (unmatched points count as wrong).
    public static func accuracy(labels: [Int], clusters: [Int]) throws -> Double {
        let table = try Contingency(labels: labels, clusters: clusters)
        let matching = try optimalMatching(confusion: table.counts)
        var correct = 0
        for (c, l) in matching.enumerated() { if let l { correct += table.counts[l][c] } }
        return Double(correct) / Double(labels.count)
    }

    /// Normalised mutual information with the arithmetic-mean normaliser, I(U;V) / ((H(U) + H(V)) / 2), as
    /// scikit-learn's `normalized_mutual_info_score` (1 when both sides have a single group).
    public static func normalizedMutualInformation(labels: [Int], clusters: [Int]) throws -> Double {
        let table = try Contingency(labels: labels, clusters: clusters)
        let classes = table.counts.count
        let groups = table.counts.first?.count ?? 0
        if classes == 1 && groups == 1 { return 1 }
        let n = Double(labels.count)
        let rowSums = table.counts.map { Double($0.reduce(0, +)) }
        let columnSums = (0..<groups).map { c in Double(table.counts.reduce(0) { $0 + $1[c] }) }
        var mi = 0.0
        for l in 0..<classes {
            for c in 0..<groups where table.counts[l][c] > 0 {
                let nij = Double(table.counts[l][c])
                mi += nij / n * (_clusteringLog(nij * n) - _clusteringLog(rowSums[l] * columnSums[c]))
            }
        }
        mi = max(mi, 0)
        if mi == 0 { return 0 }
        let normaliser = (entropy(rowSums, total: n) + entropy(columnSums, total: n)) / 2
        return mi / max(normaliser, Double.ulpOfOne)
    }

    /// Adjusted Rand index from the pair-confusion matrix, as scikit-learn's `adjusted_rand_score` (1 for identical
    /// partitions, ≈ 0 for chance, can be negative).
    public static func adjustedRandIndex(labels: [Int], clusters: [Int]) throws -> Double {
        let table = try Contingency(labels: labels, clusters: clusters)
        let n = Double(labels.count)
        var sumSquares = 0.0
        var rowSquares = 0.0
        var columnSquares = 0.0
        var columnSums = [Double](repeating: 0, count: table.counts.first?.count ?? 0)
        for row in table.counts {
            var rowSum = 0.0
            for (c, v) in row.enumerated() {
                let x = Double(v)
                sumSquares += x * x
                rowSum += x
                columnSums[c] += x
            }
            rowSquares += rowSum * rowSum
        }
        for s in columnSums { columnSquares += s * s }
        let tp = sumSquares - n
        let fp = columnSquares - sumSquares
        let fn = rowSquares - sumSquares
        let tn = n * n - fp - fn - sumSquares
        if fn == 0 && fp == 0 { return 1 }
        let numerator = 2 * (tp * tn - fn * fp)
        let denominator = (tp + fn) * (fn + tn) + (tp + fp) * (fp + tn)
        return numerator / denominator
    }

    /// Accuracy of the coarse grouping mononuclear (lymphocyte, monocyte, basophil) vs polymorphonuclear
    /// (neutrophil, eosinophil): a point is right when its cluster's mapped class is in the same group as its class.
    ///
    /// - Parameters:
    ///   - labels: class index of every point, into `classNames`.
    ///   - clusters: cluster of every point, into `clusterToClass`.
    ///   - classNames: names of the classes, matched case-insensitively.
    ///   - clusterToClass: class index for each cluster (`clusterToClass(confusion:)`); points of `nil` clusters count
    ///     as wrong.
    /// - Returns: the accuracy, or `nil` when a class that occurs is not one of the five cell types.
    public static func mononuclearPolymorphonuclearAccuracy(
        labels: [Int], clusters: [Int], classNames: [String], clusterToClass: [Int?]
    ) throws -> Double? {
        try checkPaired(labels, clusters)
        try validateLabels(labels, count: classNames.count, name: "labels")
        try validateLabels(clusters, count: clusterToClass.count, name: "clusters")
        let groups = classNames.map(CellGroup.init(className:))
        var correct = 0
        for (l, c) in zip(labels, clusters) {
            guard let truth = groups[l] else { return nil }
            guard let mapped = clusterToClass[c], mapped >= 0, mapped < groups.count, let predicted = groups[mapped] else {
                continue
            }
            if predicted == truth { correct += 1 }
        }
        return Double(correct) / Double(labels.count)
    }

    /// Every metric at once for `labels` (indices into `classNames`) and `clusters` (indices below `clusterCount`).
    public static func evaluate(
        labels: [Int], clusters: [Int], classNames: [String], clusterCount: Int
    ) throws
        -> ClusteringEvaluation
    {
        let confusion = try confusionMatrix(
            labels: labels, clusters: clusters, classCount: classNames.count,
            clusterCount: clusterCount)
        let mapping = try clusterToClass(confusion: confusion)
        return ClusteringEvaluation(
            accuracy: try accuracy(labels: labels, clusters: clusters),
            nmi: try normalizedMutualInformation(labels: labels, clusters: clusters),
            ari: try adjustedRandIndex(labels: labels, clusters: clusters),
            mononuclearPolymorphonuclearAccuracy: try mononuclearPolymorphonuclearAccuracy(
                labels: labels, clusters: clusters, classNames: classNames, clusterToClass: mapping),
            confusion: confusion,
            clusterToClass: mapping,
            classNames: classNames,
            count: labels.count)
    }

    private static func entropy(_ sums: [Double], total n: Double) -> Double {
        var h = 0.0
        for s in sums where s > 0 { h -= s / n * (_clusteringLog(s) - _clusteringLog(n)) }
        return h
    }

    static func checkPaired(_ labels: [Int], _ clusters: [Int]) throws {
        guard !labels.isEmpty else { throw ClusteringError.emptyInput(name: "labels") }
        guard labels.count == clusters.count else {
            throw ClusteringError.shapeMismatch(name: "clusters", expected: labels.count, actual: clusters.count)
        }
    }
}

/// The coarse nuclear-morphology group of a white-blood-cell type.
enum CellGroup: Sendable, Equatable {
    case mononuclear, polymorphonuclear

    init?(className: String) {
        switch className.uppercased() {
        case "LYMPHOCYTE", "MONOCYTE", "BASOPHIL": self = .mononuclear
        case "NEUTROPHIL", "EOSINOPHIL": self = .polymorphonuclear
        default: return nil
        }
    }
}

/// A contingency table over the distinct values of two arbitrary integer labelings (sorted ascending).
struct Contingency {
    let counts: [[Int]]

    init(labels: [Int], clusters: [Int]) throws {
        try ClusteringMetrics.checkPaired(labels, clusters)
        let classes = Array(Set(labels)).sorted()
        let groups = Array(Set(clusters)).sorted()
        let classIndex = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        let groupIndex = Dictionary(uniqueKeysWithValues: groups.enumerated().map { ($1, $0) })
        var counts = [[Int]](repeating: [Int](repeating: 0, count: groups.count), count: classes.count)
        for (l, c) in zip(labels, clusters) { counts[classIndex[l]!][groupIndex[c]!] += 1 }
        self.counts = counts
    }
}
