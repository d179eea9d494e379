import Clustering
import Compute
import Determinism
import Foundation
import Imaging
import Models
import Report

/// Writes `RUN/report.html`: one self-contained file (inline SVG, base64 thumbnails) built from the run
/// directory alone, so `wbc report --run RUN` can rebuild it at any time.
public enum ReportWriter {
    /// Largest number of points the t-SNE panel embeds (a seeded sample beyond that).
    public static let tsneLimit = ClusterSnapshot.limit

    public static func write(run: RunDirectory, progress: any ProgressSink) throws {
        let t0 = monotonicSeconds()
        let html = HTMLReport.render(try content(run: run, progress: progress))
        try AtomicText.write(html, to: run.report)
        try run.stageTimesFile.record("report", seconds: monotonicSeconds() - t0)
        progress.line("report: \(run.report.path)")
    }

    static let mononuclear: Set<String> = ["LYMPHOCYTE", "MONOCYTE", "BASOPHIL"]
    static let polymorphonuclear: Set<String> = ["NEUTROPHIL", "EOSINOPHIL"]

    public static func content(run: RunDirectory, progress: any ProgressSink) throws -> ReportContent {
        let settings = try run.configFile.load()
        var c = ReportContent(title: "wbc-cluster run", subtitle: run.root.path)
        if let s = settings {
            c.settings = Mirror(reflecting: s).children.compactMap { child in
                guard let key = child.label else { return nil }
                // Optionals print as "Optional(x)" / "nil": show the value, or a dash when unset.
                let text = String(describing: child.value)
                let value = text.hasPrefix("Optional(") ? String(text.dropFirst(9).dropLast()) : text
                return ReportContent.Setting(key: key, value: value == "nil" ? "–" : value)
            }
        }
        c.stageTimes = run.stageTimesFile.invocations().map { s in
            let parts =
                s.seconds.count > 1 ? " (\(s.seconds.count) invocations: " + s.seconds.map { String(format: "%.0f s", $0) }.joined(separator: " + ") + ")" : ""
            return ReportContent.StageTime(stage: s.stage + parts, seconds: s.seconds.reduce(0, +))
        }
        let metrics = run.metricsFile.read()
        for split in metrics.keys.sorted(by: >) {
            let m = metrics[split]!
            let (mono, poly) = groupAccuracies(m)
            c.metrics.append(
                .init(
                    split: split, images: m.images, accuracy: m.accuracy, nmi: m.nmi, ari: m.ari,
                    mononuclearAccuracy: mono, polymorphonuclearAccuracy: poly, scored: m.labelled))
        }
        if let train = metrics["train"], let confusion = train.confusion, let names = train.classNames {
            c.cellTypeCounts = zip(names, confusion).map { BarDatum(label: $0.0, value: Double($0.1.reduce(0, +))) }
            c.confusion = .init(
                counts: confusion, trueNames: names,
                clusterNames: train.mapping.enumerated().map { "\($0.offset): \($0.element)" })
        }
        let log = run.trainingLog.read()
        let pre = log.filter { $0.stage == "pretrain" }
        if !pre.isEmpty {
            let name = settings.flatMap { PretrainingObjectives.named($0.objective)?.lossName } ?? "loss"
            c.pretrainingCurves = [LineSeries(name: name, values: pre.map(\.loss), x: pre.map { Double($0.epoch) })]
        }
        for (stage, title, x, y) in [
            ("k-selection", "Choosing k (no labels used)", "k", "Silhouette"),
            ("neighbours", "Neighbours sharing the label (reported, never used)", "Neighbours K", "Share"),
            ("self-label", "Self-labelling: cross-entropy on confident pseudo-labels", "Epoch", "Loss"),
        ] {
            let rows = log.filter { $0.stage == stage }
            guard !rows.isEmpty else { continue }
            c.curveCharts.append(
                CurveChart(
                    title: title, xLabel: x, yLabel: y,
                    series: [LineSeries(name: y, values: rows.map(\.loss), x: rows.map { Double($0.epoch) })]))
        }
        let clu = log.filter { $0.stage == "cluster" }
        if !clu.isEmpty {
            let x = clu.map { Double($0.epoch) }
            c.clusteringCurves = [LineSeries(name: settings?.method == "scan" ? "SCAN loss (best head)" : "KL loss", values: clu.map(\.loss), x: x)]
            if clu.contains(where: { $0.accuracy != nil }) {
                c.clusteringCurves.append(LineSeries(name: "accuracy", values: clu.map { $0.accuracy ?? .nan }, x: x, axis: .secondary))
                c.clusteringCurves.append(LineSeries(name: "NMI", values: clu.map { $0.nmi ?? .nan }, x: x, axis: .secondary))
            }
        }
        // Per-image results of the training split: t-SNE, confidence histograms, galleries.
        let rows = run.assignmentsFile.read().filter { $0.split == "train" }
        let k = metrics["train"]?.mapping.count ?? ((rows.map(\.cluster).max() ?? -1) + 1)
        let clusterNames = (0..<k).map { "\($0): \(metrics["train"]?.mapping[$0] ?? "cluster \($0)")" }
        if !rows.isEmpty {
            c.confidences = (0..<k).map { j in HistogramGroup(name: clusterNames[j], values: rows.filter { $0.cluster == j }.map { Double($0.confidence) }) }
            c.galleries = galleries(rows, k: k, names: clusterNames)
            if let emb = try embedding(run: run, rows: rows, k: k, clusterNames: clusterNames, seed: settings?.seed ?? 0, progress: progress) {
                c.embedding = emb
            }
        }
        if let s = settings { c.network = networkSummary(s) }
        return c
    }

    /// Of the images of mononuclear (polymorphonuclear) type, the share whose cluster is named a mononuclear
    /// (polymorphonuclear) type.
    static func groupAccuracies(_ m: SplitMetrics) -> (Double?, Double?) {
        guard let confusion = m.confusion, let names = m.classNames else { return (nil, nil) }
        func share(_ group: Set<String>) -> Double? {
            var total = 0
            var hit = 0
            for (r, name) in names.enumerated() where group.contains(name.uppercased()) {
                for (c, n) in confusion[r].enumerated() {
                    total += n
                    if c < m.mapping.count, group.contains(m.mapping[c].uppercased()) { hit += n }
                }
            }
            return total > 0 ? Double(hit) / Double(total) : nil
        }
        return (share(mononuclear), share(polymorphonuclear))
    }

    typealias Row = AssignmentsFile.Row

    static func galleries(_ rows: [Row], k: Int, names: [String], perSide: Int = 6) -> [ClusterGallery] {
        func thumb(_ r: Row) -> Thumbnail? {
            guard let img = try? ImageDecoding.decode(contentsOf: URL(fileURLWithPath: r.path)) else { return nil }
            let small = Resize.rgb8(img, to: ImageSize(width: 72, height: 72 * img.height / max(img.width, 1)))
            guard let jpeg = try? ImageEncoding.jpeg(small, quality: 80) else { return nil }
            return Thumbnail(
                jpeg: jpeg,
                caption: String(
                    format: "%@ · %.2f%@", URL(fileURLWithPath: r.path).lastPathComponent, r.confidence,
                    r.label.isEmpty ? "" : " · " + r.label))
        }
        return (0..<k).map { j in
            let members = rows.filter { $0.cluster == j }.sorted { $0.confidence > $1.confidence }
            return ClusterGallery(
                name: names[j], mostConfident: members.prefix(perSide).compactMap(thumb),
                leastConfident: members.suffix(perSide).reversed().compactMap(thumb))
        }
    }

    static func embedding(
        run: RunDirectory, rows: [Row], k: Int, clusterNames: [String], seed: UInt64,
        progress: any ProgressSink
    ) throws -> ReportContent.Embedding? {
        guard let (features, shape) = run.featuresFile("train").read(), shape.count == 2, shape[0] == rows.count, rows.count >= 5 else { return nil }
        let (n, d) = (shape[0], shape[1])
        var pick = Array(0..<n)
        if n > tsneLimit {
            var rng = SeededGenerator(seed: seed ^ 0x75E)
            rng.shuffle(&pick)
            pick = Array(pick.prefix(tsneLimit)).sorted()
        }
        var x = [Float]()
        x.reserveCapacity(pick.count * d)
        for i in pick { x += features[(i * d)..<((i + 1) * d)] }
        let t0 = monotonicSeconds()
        let result = try TSNE(perplexity: min(30, Double(pick.count - 1) / 3), iterations: 750, seed: seed).embed(x, n: pick.count, d: d)
        progress.line(String(format: "report: t-SNE of %d points in %.1f s (KL %.3f)", pick.count, monotonicSeconds() - t0, result.klDivergence))
        let points = pick.indices.map { i in
            ScatterPoint(x: Double(result.coordinates[2 * i]), y: Double(result.coordinates[2 * i + 1]), group: rows[pick[i]].cluster)
        }
        let labels = pick.map { rows[$0].label }
        let labelNames = Array(Set(labels.filter { !$0.isEmpty })).sorted()
        let labelled = !labelNames.isEmpty
        return .init(
            points: points, clusterNames: clusterNames,
            trueLabels: labelled ? labels.map { labelNames.firstIndex(of: $0) ?? -1 } : nil, labelNames: labelNames)
    }

    /// Block, output shape and parameter count of the pretrained model's main parts (shapes for one image), and of
    /// the frozen ImageNet backbone whose features are joined to the encoder's when there is one.
    static func networkSummary(_ s: RunSettings) -> [ReportContent.Layer] {
        let spec = s.autoencoderSpec
        guard let architecture = spec.backbone.architecture else { return [] }
        let model = PretrainingObjectives.named(s.objective)?.makeModel(spec, seed: 0) ?? Autoencoder(spec, seed: 0) as any PretrainingModel
        func params(_ prefix: String) -> Int {
            model.namedParameters().filter { $0.0.hasPrefix(prefix) }.reduce(0) { $0 + $1.1.value.count }
        }
        let stages = architecture.stages(imageSize: s.size)
        var rows = stages.map { stage in
            ReportContent.Layer(
                name: "encoder.\(stage.name)", outputShape: [stage.channels, stage.side, stage.side],
                parameters: params("encoder.\(stage.name).") + (stage.name == "conv1" ? params("encoder.bn1.") : 0))
        }
        if !rows.isEmpty { rows[0].name += " + bn1 + relu" }
        rows += model.summary(imageSize: s.size).map { ReportContent.Layer(name: $0.name, outputShape: $0.outputShape, parameters: params($0.parameterPrefix)) }
        if s.imagenetFeatures != nil, let lite = ImageNetFeatures.backbone.architecture {
            let joined = ImageNetFeatures(backbone: lite.makeBackbone(seed: 0), views: s.views)
            rows.append(
                ReportContent.Layer(
                    name: "imagenet: \(ImageNetFeatures.backbone), frozen, its \(ImageNetFeatures.size)² field, pooled and joined to the encoder's",
                    outputShape: [joined.dimension], parameters: joined.extractor.backbone.parameters.reduce(0) { $0 + $1.value.count }))
        }
        return rows
    }
}
