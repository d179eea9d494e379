/// One bar of a bar chart: a category and its value (e.g. a cell type and its image count).
public struct BarDatum: Sendable, Equatable {
    /// Category name, shown (truncated if long) under the bar and in full in its tooltip.
    public var label: String
    /// Bar height in data units; non-finite values draw no bar.
    public var value: Double

    public init(label: String, value: Double) {
        self.label = label
        self.value = value
    }
}

/// Which vertical axis a line series is measured against.
public enum ChartAxis: Sendable, Equatable {
    /// The left axis (e.g. a loss).
    case primary
    /// The right axis (e.g. accuracy and NMI in [0, 1] beside a loss).
    case secondary
}

/// One line of a line chart, e.g. the clustering loss per epoch.
public struct LineSeries: Sendable, Equatable {
    /// Legend and tooltip name.
    public var name: String
    /// y values; NaN and ±∞ are skipped and break the line.
    public var values: [Double]
    /// x values, one per y value; `nil` means 1, 2, 3, … (epochs). Extra entries on either side are ignored.
    public var x: [Double]?
    /// The axis the values are read against.
    public var axis: ChartAxis

    public init(name: String, values: [Double], x: [Double]? = nil, axis: ChartAxis = .primary) {
        self.name = name
        self.values = values
        self.x = x
        self.axis = axis
    }

    /// The (x, y) pairs with both coordinates finite, in order, split where a value is missing.
    var segments: [[(x: Double, y: Double)]] {
        var result: [[(x: Double, y: Double)]] = []
        var current: [(x: Double, y: Double)] = []
        let count = x.map { min($0.count, values.count) } ?? values.count
        for index in 0..<count {
            let px = x?[index] ?? Double(index + 1)
            let py = values[index]
            if px.isFinite && py.isFinite {
                current.append((px, py))
            } else if !current.isEmpty {
                result.append(current)
                current = []
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }
}

/// A 2-D point (e.g. a t-SNE embedding of one image) and the group it belongs to.
public struct ScatterPoint: Sendable, Equatable {
    public var x: Double
    public var y: Double
    /// Index into the chart's group names (a cluster or a true label).
    public var group: Int

    public init(x: Double, y: Double, group: Int) {
        self.x = x
        self.y = y
        self.group = group
    }
}

/// Values to histogram for one group, e.g. the confidences (max soft assignment, in [0, 1]) of one cluster's members.
public struct HistogramGroup: Sendable, Equatable {
    public var name: String
    /// NaN and ±∞ are skipped; values outside the chart's domain fall into the end bins.
    public var values: [Double]

    public init(name: String, values: [Double]) {
        self.name = name
        self.values = values
    }
}

/// One image for a gallery: JPEG bytes and a caption shown as its tooltip (e.g. file name and confidence).
public struct Thumbnail: Sendable, Equatable {
    /// A complete JPEG file. Bytes that do not start with the JPEG signature (FF D8) draw a grey placeholder.
    public var jpeg: [UInt8]
    public var caption: String

    public init(jpeg: [UInt8], caption: String) {
        self.jpeg = jpeg
        self.caption = caption
    }
}

/// The gallery row of one cluster: its most and least confident members.
public struct ClusterGallery: Sendable, Equatable {
    /// Cluster name, e.g. "Cluster 2 → NEUTROPHIL".
    public var name: String
    public var mostConfident: [Thumbnail]
    public var leastConfident: [Thumbnail]

    public init(name: String, mostConfident: [Thumbnail], leastConfident: [Thumbnail]) {
        self.name = name
        self.mostConfident = mostConfident
        self.leastConfident = leastConfident
    }
}
