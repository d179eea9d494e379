/// The rectangle, in pixels, where data is drawn; axes and labels go around it.
struct PlotFrame {
    var left: Double
    var top: Double
    var width: Double
    var height: Double

    var right: Double { left + width }
    var bottom: Double { top + height }
}

extension SVGWriter {
    static let axisColor = "#555555"
    static let gridColor = "#e6e6e6"
    static let mutedText = "#555555"

    /// The chart title, centred at the top.
    mutating func chartTitle(_ title: String, maxCharacters: Int = 80) {
        text(
            XMLText.truncate(title, maxCharacters: maxCharacters), x: width / 2, y: 22, anchor: "middle",
            size: 15, weight: "600", tooltip: title, cssClass: "chart-title")
    }

    /// A vertical value axis with ticks, labels, optional grid lines and a rotated axis title.
    mutating func valueAxis(
        _ scale: NiceScale, frame: PlotFrame, label: String?, onRight: Bool = false,
        grid: Bool = true, color: String = SVGWriter.axisColor
    ) {
        let x = onRight ? frame.right : frame.left
        element(
            "line",
            [
                "x1": coord(x), "y1": coord(frame.top), "x2": coord(x), "y2": coord(frame.bottom),
                "stroke": Self.axisColor,
            ])
        var widest = 0.0
        for tick in scale.ticks {
            let y = scale.map(tick, from: frame.bottom, to: frame.top)
            if grid {
                element(
                    "line",
                    [
                        "x1": coord(frame.left), "y1": coord(y), "x2": coord(frame.right), "y2": coord(y),
                        "stroke": Self.gridColor,
                    ])
            }
            let tickEnd = onRight ? x + 5 : x - 5
            element(
                "line",
                [
                    "x1": coord(x), "y1": coord(y), "x2": coord(tickEnd), "y2": coord(y),
                    "stroke": Self.axisColor,
                ])
            let labelText = scale.label(tick)
            widest = max(widest, Self.textWidth(labelText, fontSize: 11))
            text(
                labelText, x: onRight ? x + 8 : x - 8, y: y + 4, anchor: onRight ? "start" : "end", size: 11,
                fill: Self.mutedText)
        }
        if let label, !label.isEmpty {
            let offset = widest + 22
            let lx = onRight ? x + offset : x - offset
            let ly = (frame.top + frame.bottom) / 2
            text(
                XMLText.truncate(label, maxCharacters: 40), x: lx, y: ly, anchor: "middle", size: 12,
                fill: color, rotate: onRight ? 90 : -90, tooltip: label)
        }
    }

    /// A horizontal numeric axis with ticks, labels and a title below.
    mutating func numericXAxis(_ scale: NiceScale, frame: PlotFrame, label: String?, grid: Bool = false) {
        element(
            "line",
            [
                "x1": coord(frame.left), "y1": coord(frame.bottom), "x2": coord(frame.right),
                "y2": coord(frame.bottom), "stroke": Self.axisColor,
            ])
        for tick in scale.ticks {
            let x = scale.map(tick, from: frame.left, to: frame.right)
            if grid {
                element(
                    "line",
                    [
                        "x1": coord(x), "y1": coord(frame.top), "x2": coord(x), "y2": coord(frame.bottom),
                        "stroke": Self.gridColor,
                    ])
            }
            element(
                "line",
                [
                    "x1": coord(x), "y1": coord(frame.bottom), "x2": coord(x), "y2": coord(frame.bottom + 5),
                    "stroke": Self.axisColor,
                ])
            text(scale.label(tick), x: x, y: frame.bottom + 18, anchor: "middle", size: 11, fill: Self.mutedText)
        }
        if let label, !label.isEmpty {
            text(
                XMLText.truncate(label, maxCharacters: 60), x: (frame.left + frame.right) / 2, y: frame.bottom + 38,
                anchor: "middle", size: 12, tooltip: label)
        }
    }

    /// A centred grey note inside `frame`, for charts without data.
    mutating func emptyNote(_ message: String, frame: PlotFrame) {
        element(
            "rect",
            [
                "x": coord(frame.left), "y": coord(frame.top), "width": coord(frame.width),
                "height": coord(frame.height), "fill": "#fafafa", "stroke": Self.gridColor,
            ])
        text(
            message, x: frame.left + frame.width / 2, y: frame.top + frame.height / 2 + 4, anchor: "middle",
            size: 13, fill: "#888888", cssClass: "empty-note")
    }
}
