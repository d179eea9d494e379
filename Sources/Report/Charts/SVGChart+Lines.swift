extension SVGChart {
    /// A line chart of several series against a shared x axis (epochs by default), with a legend.
    ///
    /// Series on ``ChartAxis/secondary`` are read against a right-hand axis (e.g. accuracy and NMI in [0, 1]
    /// beside a loss) and drawn dashed. Non-finite values are skipped and break the line; a lone finite value
    /// between gaps shows as a dot. Series of up to 60 points get a dot with a tooltip at every point.
    /// Series with no finite values appear in the legend marked "(no data)"; if no series has data the chart
    /// shows a "No data" note.
    ///
    /// - Parameters:
    ///   - title: Chart title.
    ///   - series: The lines, drawn in palette order.
    ///   - xLabel: Title of the x axis, e.g. "Epoch".
    ///   - yLabel: Title of the left axis.
    ///   - secondaryLabel: Title of the right axis (used only when a series is on it).
    ///   - width: Width in px.
    ///   - height: Height in px.
    public static func lines(
        title: String, series: [LineSeries], xLabel: String = "Epoch", yLabel: String = "",
        secondaryLabel: String = "", width: Double = 720, height: Double = 400
    ) -> String {
        let segmentsBySeries = series.map(\.segments)
        let hasSecondary = zip(series, segmentsBySeries).contains { $0.axis == .secondary && !$1.isEmpty }
        let legend = Legend(
            items: series.enumerated().map { index, s in
                let empty = segmentsBySeries[index].isEmpty
                let suffix = (empty ? " (no data)" : "") + (s.axis == .secondary && hasSecondary ? " (right axis)" : "")
                return Legend.Item(
                    name: s.name, color: Palette.color(index),
                    swatch: s.axis == .secondary ? .dashedLine : .line, suffix: suffix)
            })
        let left = 74.0
        let right = hasSecondary ? 74.0 : 24.0
        let plotWidth = max(80, width - left - right)
        let legendLayout = legend.flow(maxWidth: plotWidth)
        let top = 40 + legendLayout.height + 8
        let bottom = 50.0
        var svg = SVGWriter(width: width, height: max(height, top + 120 + bottom))
        svg.chartTitle(title)
        legend.draw(into: &svg, positions: legendLayout.positions, originX: left, originY: 36)
        let frame = PlotFrame(left: left, top: top, width: plotWidth, height: svg.height - top - bottom)

        let allPoints = segmentsBySeries.flatMap { $0.flatMap { $0 } }
        guard !allPoints.isEmpty else {
            svg.emptyNote("No data", frame: frame)
            return svg.document(title: title, cssClass: "chart chart-lines")
        }
        var xScale = NiceScale(covering: allPoints.map(\.x), targetTicks: tickCount(forPixels: frame.width))
        if allPoints.allSatisfy({ $0.x == $0.x.rounded() }) && xScale.step < 1 {
            // Whole epochs: ticks on whole numbers only.
            xScale = NiceScale(lower: xScale.lower.rounded(.down), upper: xScale.upper.rounded(.up), step: 1)
        }
        func values(on axis: ChartAxis) -> [Double] {
            zip(series, segmentsBySeries).filter { $0.0.axis == axis }.flatMap { $0.1.flatMap { $0.map(\.y) } }
        }
        let primaryValues = values(on: .primary)
        let yTicks = tickCount(forPixels: frame.height)
        let primaryScale = NiceScale(
            covering: primaryValues.isEmpty ? values(on: .secondary) : primaryValues,
            targetTicks: yTicks)
        let secondaryScale = NiceScale(covering: values(on: .secondary), targetTicks: yTicks)
        svg.valueAxis(primaryScale, frame: frame, label: primaryValues.isEmpty ? secondaryLabel : yLabel)
        if hasSecondary && !primaryValues.isEmpty {
            svg.valueAxis(secondaryScale, frame: frame, label: secondaryLabel, onRight: true, grid: false)
        }
        svg.numericXAxis(xScale, frame: frame, label: xLabel)

        for (index, s) in series.enumerated() {
            let scale = (s.axis == .secondary && !primaryValues.isEmpty) ? secondaryScale : primaryScale
            let color = Palette.color(index)
            let segments = segmentsBySeries[index]
            let pointCount = segments.reduce(0) { $0 + $1.count }
            var d = ""
            for segment in segments where segment.count > 1 {
                for (k, p) in segment.enumerated() {
                    d +=
                        (k == 0 ? "M" : "L") + coord(xScale.map(p.x, from: frame.left, to: frame.right)) + " "
                        + coord(scale.map(p.y, from: frame.bottom, to: frame.top))
                }
            }
            svg.open("g", ["class": "series-group"])
            if !d.isEmpty {
                svg.element(
                    "path",
                    [
                        "class": "series", "d": d, "fill": "none", "stroke": color, "stroke-width": "2",
                        "stroke-linejoin": "round",
                        "stroke-dasharray": s.axis == .secondary ? "6 3" : "none",
                    ], tooltip: s.name)
            }
            for segment in segments where segment.count == 1 || pointCount <= 60 {
                for p in segment {
                    svg.element(
                        "circle",
                        [
                            "class": "point", "cx": coord(xScale.map(p.x, from: frame.left, to: frame.right)),
                            "cy": coord(scale.map(p.y, from: frame.bottom, to: frame.top)),
                            "r": "3", "fill": color,
                        ],
                        tooltip: "\(s.name) — \(xLabel.isEmpty ? "x" : xLabel) \(NumberText.compact(p.x)): "
                            + NumberText.compact(p.y))
                }
            }
            svg.close("g")
        }
        return svg.document(title: title, cssClass: "chart chart-lines")
    }
}
