/// Everything a run report shows, as plain values. Leave a part empty (or `nil`) when the run has no such
/// data: ``HTMLReport`` leaves its section out instead of drawing it empty.
///
/// ```swift
/// var content = ReportContent(title: "Run 2026-11-26 (bccd-cropped)")
/// content.settings = [.init(key: "clusters", value: "5")]
/// content.metrics = [.init(split: "train", accuracy: 0.91, nmi: 0.80, ari: 0.77)]
/// let html = HTMLReport.render(content)
/// ```
public struct ReportContent: Sendable, Equatable {
    /// One run setting, e.g. ("learning rate", "0.001"). Shown in the given order.
    public struct Setting: Sendable, Equatable {
        public var key: String
        public var value: String
        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    /// Wall-clock time of one stage (e.g. "pretraining"), in seconds.
    public struct StageTime: Sendable, Equatable {
        public var stage: String
        public var seconds: Double
        public init(stage: String, seconds: Double) {
            self.stage = stage
            self.seconds = seconds
        }
    }

    /// Clustering quality on one split (e.g. "train", "test"). Accuracies are fractions in [0, 1];
    /// `nil` means not measured (e.g. no labels) and a column that is `nil` on every split is left out.
    public struct SplitMetrics: Sendable, Equatable {
        public var split: String
        /// Number of images evaluated.
        public var images: Int?
        /// How many of them the metrics score (those with one label), when fewer than `images`.
        public var scored: Int?
        /// Cluster accuracy under the best cluster-to-type mapping (Hungarian).
        public var accuracy: Double?
        /// Normalised mutual information, [0, 1].
        public var nmi: Double?
        /// Adjusted Rand index, [-1, 1].
        public var ari: Double?
        /// Accuracy of the mononuclear (lymphocyte, monocyte) vs polymorphonuclear split, on mononuclear cells.
        public var mononuclearAccuracy: Double?
        /// The same on polymorphonuclear cells (neutrophil, eosinophil, basophil).
        public var polymorphonuclearAccuracy: Double?

        public init(
            split: String, images: Int? = nil, accuracy: Double? = nil, nmi: Double? = nil,
            ari: Double? = nil, mononuclearAccuracy: Double? = nil, polymorphonuclearAccuracy: Double? = nil,
            scored: Int? = nil
        ) {
            self.split = split
            self.images = images
            self.scored = scored
            self.accuracy = accuracy
            self.nmi = nmi
            self.ari = ari
            self.mononuclearAccuracy = mononuclearAccuracy
            self.polymorphonuclearAccuracy = polymorphonuclearAccuracy
        }
    }

    /// A 2-D embedding (e.g. t-SNE) of the images, with each image's cluster and, when known, its true type.
    public struct Embedding: Sendable, Equatable {
        /// One point per image; `group` is the cluster index.
        public var points: [ScatterPoint]
        /// Name of cluster i at index i, e.g. "0 → NEUTROPHIL".
        public var clusterNames: [String]
        /// True type index per point (same order as `points`), negative for an image without a label;
        /// `nil` when the data is unlabelled.
        public var trueLabels: [Int]?
        /// Name of true type i at index i.
        public var labelNames: [String]

        public init(
            points: [ScatterPoint], clusterNames: [String], trueLabels: [Int]? = nil,
            labelNames: [String] = []
        ) {
            self.points = points
            self.clusterNames = clusterNames
            self.trueLabels = trueLabels
            self.labelNames = labelNames
        }
    }

    /// The embedding at one moment of training (e.g. after epoch 5), coloured by the clusters at that time.
    public struct Snapshot: Sendable, Equatable {
        /// Caption, e.g. "Epoch 5".
        public var caption: String
        public var points: [ScatterPoint]
        public var groupNames: [String]
        public init(caption: String, points: [ScatterPoint], groupNames: [String]) {
            self.caption = caption
            self.points = points
            self.groupNames = groupNames
        }
    }

    /// Counts of true types (rows) against clusters (columns).
    public struct ConfusionMatrix: Sendable, Equatable {
        /// `counts[r][c]`: images of true type r in cluster c.
        public var counts: [[Int]]
        public var trueNames: [String]
        /// Cluster names, e.g. "0 → NEUTROPHIL".
        public var clusterNames: [String]
        public init(counts: [[Int]], trueNames: [String], clusterNames: [String]) {
            self.counts = counts
            self.trueNames = trueNames
            self.clusterNames = clusterNames
        }
    }

    /// One row of the network summary.
    public struct Layer: Sendable, Equatable {
        /// Layer path, e.g. "encoder.layer1.0.conv1".
        public var name: String
        /// Output shape without the batch dimension, e.g. [64, 56, 56].
        public var outputShape: [Int]
        /// Number of trainable parameters.
        public var parameters: Int
        public init(name: String, outputShape: [Int], parameters: Int) {
            self.name = name
            self.outputShape = outputShape
            self.parameters = parameters
        }
    }

    /// Report title, e.g. the run name.
    public var title: String
    /// A line under the title, e.g. when and where the run happened (the caller formats dates).
    public var subtitle: String
    public var settings: [Setting] = []
    public var stageTimes: [StageTime] = []
    public var metrics: [SplitMetrics] = []
    /// Images per cell type (the caller splits multi-label rows).
    public var cellTypeCounts: [BarDatum] = []
    /// Autoencoder pretraining curves, e.g. reconstruction loss per epoch.
    public var pretrainingCurves: [LineSeries] = []
    /// Clustering curves, e.g. KL loss (primary axis) and accuracy, NMI (secondary axis) per epoch.
    public var clusteringCurves: [LineSeries] = []
    /// Further curves of the training section (choosing k, the neighbours' label agreement).
    public var curveCharts: [CurveChart] = []
    public var embedding: Embedding?
    public var confusion: ConfusionMatrix?
    /// Per-cluster confidences (max soft assignment), values in [0, 1].
    public var confidences: [HistogramGroup] = []
    public var galleries: [ClusterGallery] = []
    public var network: [Layer] = []
    /// Per-epoch embeddings, drawn as small multiples.
    public var snapshots: [Snapshot] = []

    public init(title: String, subtitle: String = "") {
        self.title = title
        self.subtitle = subtitle
    }
}

/// A titled line chart of the report's training section.
public struct CurveChart: Sendable, Equatable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [LineSeries]
    public init(title: String, xLabel: String, yLabel: String, series: [LineSeries]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }
}
