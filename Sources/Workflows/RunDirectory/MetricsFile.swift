import Foundation

/// Metrics of one split, as written to `metrics.json`.
public struct SplitMetrics: Sendable, Codable {
    public var images: Int
    public var skipped: Int
    /// Images per cluster.
    public var counts: [Int]
    /// Cluster → cell type used to name predictions (from the training data).
    public var mapping: [String]
    /// Which clustering model produced these results (a digest of its head); results of an earlier model
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

    public init(images: Int, skipped: Int, counts: [Int], mapping: [String]) {
        self.images = images
        self.skipped = skipped
        self.counts = counts
        self.mapping = mapping
    }

    enum CodingKeys: String, CodingKey {
        case images, skipped, counts, mapping, model, labelled, accuracy, nmi, ari, confusion
        case mononuclearPolymorphonuclearAccuracy = "mono_poly_accuracy"
        case mappedAccuracy = "mapped_accuracy"
        case classNames = "class_names"
    }
}

/// `RUN/metrics.json`: `SplitMetrics` by split name.
public struct MetricsFile: Sendable {
    public let url: URL

    public func write(_ all: [String: SplitMetrics]) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicText.write(String(decoding: try enc.encode(all), as: UTF8.self) + "\n", to: url)
    }

    /// The metrics by split (empty when the file is absent or unreadable).
    public func read() -> [String: SplitMetrics] {
        guard let data = try? Data(contentsOf: url) else { return [:] }
        return (try? JSONDecoder().decode([String: SplitMetrics].self, from: data)) ?? [:]
    }
}
