import Clustering
import Compute
import Foundation
import Imaging
import Models
import Report

/// Writes `RUN/report.html`: one self-contained file (inline SVG, base64 thumbnails) built from the run
/// directory alone, so `wbc report --run RUN` can rebuild it at any time.
public enum ReportWriter {
    /// Largest number of points the t-SNE panel embeds (a seeded sample beyond that).
    public static let tsneLimit = 2_000

    public static func write(run: RunDirectory, progress: any ProgressSink) throws {
        let t0 = monotonicSeconds()
        let html = HTMLReport.render(try content(run: run, progress: progress))
        try RunDirectory.writeAtomically(html, to: run.report)
        try run.recordStage("report", seconds: monotonicSeconds() - t0)
        progress.line("report: \(run.report.path)")
    }

    static let mononuclear: Set<String> = ["LYMPHOCYTE", "MONOCYTE", "BASOPHIL"]
    static let polymorphonuclear: Set<String> = ["NEUTROPHIL", "EOSINOPHIL"]

    public static func content(run: RunDirectory, progress: any ProgressSink) throws -> ReportContent {
        let settings = try run.loadConfig()
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
        c.stageTimes = run.readStageTimes().map { ReportContent.StageTime(stage: $0.0, seconds: $0.1) }
        let metrics = Evaluation.readMetrics(run)
        for split in metrics.keys.sorted(by: >) {
            let m = metrics[split]!
            let (mono, poly) = groupAccuracies(m)
            c.metrics.append(.init(split: split, images: m.images, accuracy: m.accuracy, nmi: m.nmi, ari: m.ari,
                                   mononuclearAccuracy: mono, polymorphonuclearAccuracy: poly, scored: m.labelled))
        }
        if let train = metrics["train"], let confusion = train.confusion, let names = train.classNames {
            c.cellTypeCounts = zip(names, confusion).map { BarDatum(label: $0.0, value: Double($0.1.reduce(0, +))) }
            c.confusion = .init(counts: confusion, trueNames: names,
                                clusterNames: train.mapping.enumerated().map { "\($0.offset): \($0.element)" })
        }
        let log = run.readLog()
        let pre = log.filter { $0.stage == "pretrain" }
        if !pre.isEmpty {
            c.pretrainingCurves = [LineSeries(name: "reconstruction loss", values: pre.map(\.loss), x: pre.map { Double($0.epoch) })]
        }
        let clu = log.filter { $0.stage == "cluster" }
        if !clu.isEmpty {
            let x = clu.map { Double($0.epoch) }
            c.clusteringCurves = [LineSeries(name: "KL loss", values: clu.map(\.loss), x: x)]
            if clu.contains(where: { $0.accuracy != nil }) {
                c.clusteringCurves.append(LineSeries(name: "accuracy", values: clu.map { $0.accuracy ?? .nan }, x: x, axis: .secondary))
                c.clusteringCurves.append(LineSeries(name: "NMI", values: clu.map { $0.nmi ?? .nan }, x: x, axis: .secondary))
            }
        }
        // Per-image results of the training split: t-SNE, confidence histograms, galleries.
        let rows = readAssignments(run).filter { $0.split == "train" }
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
            var total = 0, hit = 0
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

    struct Row { var path: String; var cluster: Int; var cellType: String; var confidence: Float; var label: String; var split: String }

    static func readAssignments(_ run: RunDirectory) -> [Row] {
        guard let text = try? String(contentsOf: run.assignments, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let f = parseCSVLine(String(line))
            guard f.count == 6, let c = Int(f[1]), let conf = Float(f[3]) else { return nil }
            return Row(path: f[0], cluster: c, cellType: f[2], confidence: conf, label: f[4], split: f[5])
        }
    }

    static func parseCSVLine(_ line: String) -> [String] {
        var fields: [String] = [], cur = "", quoted = false
        var it = Array(line), i = 0
        while i < it.count {
            let ch = it[i]
            if quoted {
                if ch == "\"" { if i + 1 < it.count && it[i + 1] == "\"" { cur.append("\""); i += 1 } else { quoted = false } }
                else { cur.append(ch) }
            } else if ch == "\"" { quoted = true } else if ch == "," { fields.append(cur); cur = "" } else { cur.append(ch) }
            i += 1
        }
        fields.append(cur)
        it = []
        return fields
    }

    static func galleries(_ rows: [Row], k: Int, names: [String], perSide: Int = 6) -> [ClusterGallery] {
        func thumb(_ r: Row) -> Thumbnail? {
            guard let img = try? ImageDecoding.decode(contentsOf: URL(fileURLWithPath: r.path)) else { return nil }
            let small = Resize.rgb8(img, to: ImageSize(width: 72, height: 72 * img.height / max(img.width, 1)))
            guard let jpeg = try? ImageEncoding.jpeg(small, quality: 80) else { return nil }
            return Thumbnail(jpeg: jpeg, caption: String(format: "%@ · %.2f%@", URL(fileURLWithPath: r.path).lastPathComponent, r.confidence,
                                                        r.label.isEmpty ? "" : " · " + r.label))
        }
        return (0..<k).map { j in
            let members = rows.filter { $0.cluster == j }.sorted { $0.confidence > $1.confidence }
            return ClusterGallery(name: names[j], mostConfident: members.prefix(perSide).compactMap(thumb),
                                  leastConfident: members.suffix(perSide).reversed().compactMap(thumb))
        }
    }

    static func embedding(run: RunDirectory, rows: [Row], k: Int, clusterNames: [String], seed: UInt64,
                          progress: any ProgressSink) throws -> ReportContent.Embedding? {
        guard let data = try? Data(contentsOf: run.features("train")), let (features, shape) = try? NPY.decode(data),
              shape.count == 2, shape[0] == rows.count, rows.count >= 5 else { return nil }
        let (n, d) = (shape[0], shape[1])
        var pick = Array(0..<n)
        if n > tsneLimit {
            var rng = SeededGenerator(seed: seed ^ 0x75E)
            rng.shuffle(&pick)
            pick = Array(pick.prefix(tsneLimit)).sorted()
        }
        var x = [Float](); x.reserveCapacity(pick.count * d)
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
        return .init(points: points, clusterNames: clusterNames,
                     trueLabels: labelled ? labels.map { labelNames.firstIndex(of: $0) ?? -1 } : nil, labelNames: labelNames)
    }

    /// `RUN/plots/tsne-epoch-NNN.svg`: t-SNE of the features the DEC epoch saw, coloured by cluster.
    static func writeSnapshot(features: [Float], n: Int, d: Int, clusters: [Int], names: [String], epoch: Int, seed: UInt64,
                              run: RunDirectory) throws {
        guard n >= 5 else { return }
        let r = try TSNE(perplexity: min(30, Double(n - 1) / 3), iterations: 500, seed: seed).embed(features, n: n, d: d)
        let points = (0..<n).map { ScatterPoint(x: Double(r.coordinates[2 * $0]), y: Double(r.coordinates[2 * $0 + 1]), group: clusters[$0]) }
        let svg = SVGChart.scatter(title: "t-SNE after clustering epoch \(epoch)", points: points, groupNames: names)
        try FileManager.default.createDirectory(at: run.plots, withIntermediateDirectories: true)
        try RunDirectory.writeAtomically(svg, to: run.plots.appendingPathComponent(String(format: "tsne-epoch-%03d.svg", epoch)))
    }

    /// Layer, output shape and parameter count of the autoencoder's main blocks (shapes for one image).
    static func networkSummary(_ s: RunSettings) -> [ReportContent.Layer] {
        let ae = Autoencoder(s.autoencoderSpec, seed: 0)
        func params(_ prefix: String) -> Int {
            ae.namedParameters().filter { $0.0.hasPrefix(prefix) }.reduce(0) { $0 + $1.1.value.count }
        }
        let size = s.size
        var side = (size + 6 - 7) / 2 + 1
        var rows: [ReportContent.Layer] = [.init(name: "encoder.conv1 + bn1 + relu", outputShape: [64, side, side], parameters: params("encoder.conv1.") + params("encoder.bn1."))]
        side = (side + 2 - 3) / 2 + 1
        rows.append(.init(name: "encoder.maxpool", outputShape: [64, side, side], parameters: 0))
        let expansion = s.backbone.usesBottleneck ? 4 : 1
        for stage in 1...4 {
            if stage > 1 { side = (side + 2 - 3) / 2 + 1 }
            rows.append(.init(name: "encoder.layer\(stage)", outputShape: [(32 << stage) * expansion, side, side], parameters: params("encoder.layer\(stage).")))
        }
        var channels = s.backbone.featureChannels
        if s.model == .vae {
            rows.append(.init(name: "vae heads (μ, log σ², expand)", outputShape: [s.latent], parameters: params("vae_")))
        }
        for b in 1...5 {
            side *= 2; channels /= 2
            rows.append(.init(name: "decoder.block\(b)", outputShape: [channels, side, side], parameters: params("decoder.block\(b).")))
        }
        rows.append(.init(name: "decoder.head + tanh", outputShape: [3, side * 2, side * 2], parameters: params("decoder.head.")))
        rows.append(.init(name: "decoder.resize", outputShape: [3, size, size], parameters: 0))
        return rows
    }
}
