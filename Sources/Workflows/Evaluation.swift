import Clustering
import Compute
import Foundation
import Imaging
import Models

/// Metrics of one split, as written to `metrics.json`.
public struct SplitMetrics: Sendable, Codable {
    public var images: Int
    public var skipped: Int
    /// Images per cluster.
    public var counts: [Int]
    /// Cluster → cell type used to name predictions (from the training data).
    public var mapping: [String]
    /// Which clustering model produced these results (a digest of its centres); results of an earlier model
    /// are dropped when a new one is evaluated, so metrics.json never mixes two.
    public var model: String?
    /// Images with one label, over which the metrics below are computed (the others are assigned and listed,
    /// not scored); nil when the split has no labels.
    public var labelled: Int?
    /// Present when the split is labelled.
    public var accuracy: Double?
    public var nmi: Double?
    public var ari: Double?
    /// Mononuclear (lymphocyte, monocyte, basophil) vs polymorphonuclear (neutrophil, eosinophil) accuracy.
    public var mononuclearPolymorphonuclearAccuracy: Double?
    /// Accuracy of the saved training mapping (a cluster's name equals the image's label).
    public var mappedAccuracy: Double?
    public var classNames: [String]?
    /// Rows: true class (`classNames`), columns: cluster.
    public var confusion: [[Int]]?

    enum CodingKeys: String, CodingKey {
        case images, skipped, counts, mapping, model, labelled, accuracy, nmi, ari, confusion
        case mononuclearPolymorphonuclearAccuracy = "mono_poly_accuracy"
        case mappedAccuracy = "mapped_accuracy"
        case classNames = "class_names"
    }
}

public enum Evaluation {
    /// Assigns every image of `source`, computes the metrics when labelled, and updates
    /// `assignments.csv` and `metrics.json` for `split`.
    public static func run(model: ClusterModel, source: DataSource, split: String, run: RunDirectory,
                           progress: any ProgressSink) throws -> (SplitMetrics, Assignments) {
        let t0 = monotonicSeconds()
        let a = try model.assign(source, progress: progress)
        var m = SplitMetrics(images: a.count, skipped: source.dataset.samples.count - a.count,
                             counts: (0..<model.k).map { c in a.clusters.filter { $0 == c }.count },
                             mapping: (0..<model.k).map { model.cellType(ofCluster: $0) })
        m.model = model.identity
        // Splits evaluated with an earlier model (the run was clustered again since) go, with their rows and features.
        // (A split without a model tag comes from an older wbc: unknown, so kept.)
        let previous = readMetrics(run)
        let stale = Set(previous.filter { $0.key != split && $0.value.model != nil && $0.value.model != m.model }.map(\.key))
        for old in stale { try? FileManager.default.removeItem(at: run.features(old)) }
        let names = source.dataset.classNames
        if let ev = try DECTraining.evaluate(labels: a.labels, clusters: a.clusters, classNames: names, k: model.k) {
            let known = zip(a.labels, a.clusters).compactMap { label, cluster in label.map { ($0, cluster) } }
            m.labelled = known.count
            m.accuracy = ev.accuracy; m.nmi = ev.nmi; m.ari = ev.ari
            m.mononuclearPolymorphonuclearAccuracy = ev.mononuclearPolymorphonuclearAccuracy
            m.classNames = names
            m.confusion = ev.confusion
            if !model.mapping.isEmpty {
                let hits = known.filter { names[$0.0].caseInsensitiveCompare(model.cellType(ofCluster: $0.1)) == .orderedSame }.count
                m.mappedAccuracy = Double(hits) / Double(known.count)
            }
        }
        try writeAssignments(a, model: model, source: source, split: split, run: run, dropping: stale)
        do {
            try AtomicFile.write(NPY.encode(a.features, shape: [a.count, a.dimension]), to: run.features(split).path)
        } catch { throw WorkflowError("cannot write \(run.features(split).path): \(error)") }
        var all = previous.filter { !stale.contains($0.key) }
        all[split] = m
        try writeMetrics(all, run: run)
        try run.recordStage("evaluate \(split)", seconds: monotonicSeconds() - t0)
        return (m, a)
    }

    static func csvField(_ s: String) -> String {
        s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// Rewrites assignments.csv, keeping the rows of other splits.
    static func writeAssignments(_ a: Assignments, model: ClusterModel, source: DataSource, split: String, run: RunDirectory,
                                 dropping stale: Set<String> = []) throws {
        let header = "path,cluster,cell_type,confidence,label,split"
        var kept: [String] = []
        if let old = try? String(contentsOf: run.assignments, encoding: .utf8) {
            kept = old.split(separator: "\n").dropFirst().map(String.init).filter { row in
                !([split] + stale).contains { row.hasSuffix("," + $0) }
            }
        }
        let conf = a.confidence
        let rows = a.clusters.indices.map { i -> String in
            let label = a.labels[i].map { source.dataset.classNames[$0] } ?? ""
            return [csvField(a.paths[i].path), String(a.clusters[i]), csvField(model.cellType(ofCluster: a.clusters[i])),
                    String(format: "%.6f", conf[i]), csvField(label), split].joined(separator: ",")
        }
        try RunDirectory.writeAtomically(([header] + kept + rows).joined(separator: "\n") + "\n", to: run.assignments)
    }

    static func writeMetrics(_ all: [String: SplitMetrics], run: RunDirectory) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try RunDirectory.writeAtomically(String(decoding: try enc.encode(all), as: UTF8.self) + "\n", to: run.metrics)
    }

    public static func readMetrics(_ run: RunDirectory) -> [String: SplitMetrics] {
        guard let data = try? Data(contentsOf: run.metrics) else { return [:] }
        return (try? JSONDecoder().decode([String: SplitMetrics].self, from: data)) ?? [:]
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

/// One prediction of `wbc predict`.
public struct Prediction: Sendable, Codable {
    public var path: String
    public var cluster: Int
    public var cellType: String
    public var confidence: Float
    public var probabilities: [Float]
    enum CodingKeys: String, CodingKey { case path, cluster, confidence, probabilities, cellType = "cell_type" }
}

public enum Predictor {
    /// Cluster, cell type and confidence of each image, with the run's clustering model.
    public static func predict(run: RunDirectory, images: [String], progress: any ProgressSink) throws -> (predictions: [Prediction], skipped: [String]) {
        let (model, checkpoint) = try ClusterModel.load(run.decBest)
        let settings = try checkpoint.settings(file: run.decBest.path)
        let urls = images.map { URL(fileURLWithPath: $0) }
        let dataset: ImageDataset
        do { dataset = try ImageDataset.files(urls) } catch { throw WorkflowError("predict: \(error)") }
        model.autoencoder.setTraining(false)
        let loader = ImageLoader(dataset: dataset, preprocessing: settings.preprocessing, normalization: model.normalization, batchSize: 32)
        var epoch = loader.batches()
        var out: [Prediction] = []
        let mu = model.centres.value.toArray()
        while let b = try epoch.next() {
            let z = try model.autoencoder.features(b.tensor(), mode: model.features, views: model.views).toArray()
            let q = try DECObjective.softAssignment(embeddings: z, centres: mu, n: b.count, k: model.k, d: model.centres.shape[1], alpha: model.alpha)
            for i in 0..<b.count {
                let row = Array(q[(i * model.k)..<((i + 1) * model.k)])
                let c = row.indices.max { row[$0] < row[$1] } ?? 0
                out.append(Prediction(path: b.paths[i].path, cluster: c, cellType: model.cellType(ofCluster: c), confidence: row[c], probabilities: row))
            }
        }
        return (out, (dataset.skipped.errors + epoch.skipped.errors).map(\.description))
    }
}
