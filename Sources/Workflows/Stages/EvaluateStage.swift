import Clustering
import Compute
import Foundation
import Imaging
import Models

/// Stage 3: assigns every image of a split with the clustering model, scores it when labelled, and updates
/// `assignments.csv`, `features-SPLIT.npy` and `metrics.json`.
public enum EvaluateStage {
    /// - Parameter assignments: `source` already assigned by `model` (the cluster stage's final assignment of the
    ///   training set); nil assigns it here.
    public static func run(
        model: ClusterModel, source: DataSource, split: String, run: RunDirectory,
        assignments: Assignments? = nil, progress: any ProgressSink
    ) throws -> (SplitMetrics, Assignments) {
        let t0 = monotonicSeconds()
        let a = try assignments ?? model.assign(source, progress: progress)
        var m = SplitMetrics(
            images: a.count, skipped: source.dataset.samples.count - a.count,
            counts: (0..<model.k).map { c in a.clusters.filter { $0 == c }.count },
            mapping: (0..<model.k).map { model.cellType(ofCluster: $0) })
        m.model = model.identity
        // Splits evaluated with an earlier model (the run was clustered again since) go, with their rows and features.
        // (A split without a model tag comes from an older wbc: unknown, so kept.)
        let previous = run.metricsFile.read()
        let stale = Set(previous.filter { $0.key != split && $0.value.model != nil && $0.value.model != m.model }.map(\.key))
        for old in stale { try? FileManager.default.removeItem(at: run.features(old)) }
        let names = source.dataset.classNames
        let trained = Set(model.classNames.map { $0.uppercased() })
        let unseen = names.filter { !trained.contains($0.uppercased()) }
        if !trained.isEmpty && !unseen.isEmpty {
            let count = a.labels.filter { $0.map { unseen.contains(names[$0]) } ?? false }.count
            progress.line(
                "\(split): warning: \(unseen.joined(separator: ", ")) never appeared in the run's training data (\(model.classNames.joined(separator: ", "))): no cluster is named after \(unseen.count == 1 ? "it" : "them"), so \(count) image\(count == 1 ? "" : "s") can only count as errors in the mapped accuracy; ACC still matches clusters to every class"
            )
        }
        if let ev = try ClusteringScore.evaluate(labels: a.labels, clusters: a.clusters, classNames: names, k: model.k) {
            let known = zip(a.labels, a.clusters).compactMap { label, cluster in label.map { ($0, cluster) } }
            m.labelled = known.count
            m.accuracy = ev.accuracy
            m.nmi = ev.nmi
            m.ari = ev.ari
            m.mononuclearPolymorphonuclearAccuracy = ev.mononuclearPolymorphonuclearAccuracy
            m.classNames = names
            m.confusion = ev.confusion
            if !model.mapping.isEmpty {
                let hits = known.filter { names[$0.0].caseInsensitiveCompare(model.cellType(ofCluster: $0.1)) == .orderedSame }.count
                m.mappedAccuracy = Double(hits) / Double(known.count)
            }
        }
        let confidence = a.confidence
        let rows = a.clusters.indices.map { i in
            AssignmentsFile.Row(
                path: a.paths[i].path, cluster: a.clusters[i], cellType: model.cellType(ofCluster: a.clusters[i]),
                confidence: confidence[i], label: a.labels[i].map { names[$0] } ?? "", split: split)
        }
        try run.assignmentsFile.replace(split: split, with: rows, dropping: stale)
        try run.featuresFile(split).write(a.features, n: a.count, d: a.dimension)
        var all = previous.filter { !stale.contains($0.key) }
        all[split] = m
        try run.metricsFile.write(all)
        try run.stageTimesFile.record("evaluate \(split)", seconds: monotonicSeconds() - t0)
        return (m, a)
    }

    /// One line: "test: 64 images  ACC 1.0000  NMI 1.0000  ARI 1.0000  mono/poly 1.0000".
    public static func summary(_ split: String, _ m: SplitMetrics) -> String {
        guard let acc = m.accuracy, let nmi = m.nmi, let ari = m.ari else {
            return "\(split): \(m.images) images, clusters of sizes \(m.counts) (unlabelled: no metrics)"
        }
        var s = String(format: "%@: %d images  ACC %.4f  NMI %.4f  ARI %.4f", split, m.images, acc, nmi, ari)
        if let labelled = m.labelled, labelled < m.images {
            s += " (scored on the \(labelled) images with one label; \(m.images - labelled) have none or several)"
        }
        if let mp = m.mononuclearPolymorphonuclearAccuracy { s += String(format: "  mono/poly %.4f", mp) }
        return s
    }

    /// The confusion matrix as a text table.
    public static func table(_ m: SplitMetrics) -> String {
        guard let confusion = m.confusion, let names = m.classNames else { return "(unlabelled: no confusion matrix)" }
        let width = max(12, (names.map(\.count).max() ?? 0) + 2)
        func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : String(repeating: " ", count: w - s.count) + s }
        var lines = [pad("true \\ cluster", width) + m.mapping.indices.map { pad("\($0):\(m.mapping[$0].prefix(10))", 16) }.joined()]
        for (r, row) in confusion.enumerated() {
            lines.append(pad(names[r], width) + row.map { pad(String($0), 16) }.joined())
        }
        return lines.joined(separator: "\n")
    }
}
