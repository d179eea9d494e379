extension SVGChart {
    /// A vertical bar chart, one bar per datum, each in its own palette colour, with the value above it.
    ///
    /// Used for the cell-type distribution: the caller counts images per type (splitting multi-label rows)
    /// and passes one ``BarDatum`` per type. Long labels are truncated and slanted; the tooltip has the full
    /// label and value. Non-finite values draw no bar; no bars at all draws a "No data" note.
    ///
    /// - Parameters:
    ///   - title: Chart title.
    ///   - bars: One datum per category, drawn left to right.
    ///   - xLabel: Title under the category axis (may be empty).
    ///   - yLabel: Title of the value axis, e.g. "Images".
    ///   - width: Width in px (height follows from the labels when they are slanted).
    ///   - height: Height in px of the plot region plus margins.
    public static func bar(
        title: String, bars: [BarDatum], xLabel: String = "", yLabel: String = "",
        width: Double = 720, height: Double = 420
    ) -> String {
        let maxLabelCharacters = 24
        let shownLabels = bars.map { XMLText.truncate($0.label, maxCharacters: maxLabelCharacters) }
        let left = 74.0
        let right = 24.0
        let top = 44.0
        let plotWidth = max(60, width - left - right)
        let slot = bars.isEmpty ? plotWidth : plotWidth / Double(bars.count)
        let widestLabel = shownLabels.map { SVGWriter.textWidth($0, fontSize: 11) }.max() ?? 0
        let slanted = widestLabel > slot - 6
        // A label slanted by 40° needs about sin(40°) ≈ 0.64 of its width below the axis.
        let labelDepth = slanted ? widestLabel * 0.64 + 16 : 20
        let bottom = labelDepth + (xLabel.isEmpty ? 12 : 30)
        let totalHeight = max(height, top + 160 + bottom)
        var svg = SVGWriter(width: width, height: totalHeight)
        svg.chartTitle(title)
        let frame = PlotFrame(left: left, top: top, width: plotWidth, height: totalHeight - top - bottom)
        let finite = bars.map(\.value).filter(\.isFinite)
        guard !finite.isEmpty else {
            svg.emptyNote("No data", frame: frame)
            return svg.document(title: title, cssClass: "chart chart-bar")
        }
        let scale = NiceScale(covering: finite, targetTicks: 6, includeZero: true)
        svg.valueAxis(scale, frame: frame, label: yLabel)
        let baseline = scale.map(0, from: frame.bottom, to: frame.top)
        let barWidth = max(1, min(slot * 0.72, 90))
        for (index, datum) in bars.enumerated() {
            let center = frame.left + slot * (Double(index) + 0.5)
            let color = Palette.color(index)
            let tooltip = "\(datum.label): \(NumberText.compact(datum.value))"
            if datum.value.isFinite {
                let y = scale.map(datum.value, from: frame.bottom, to: frame.top)
                svg.element(
                    "rect",
                    [
                        "class": "bar", "x": coord(center - barWidth / 2), "y": coord(min(y, baseline)),
                        "width": coord(barWidth), "height": coord(abs(baseline - y)), "fill": color,
                    ],
                    tooltip: tooltip)
                if bars.count <= 40 {
                    svg.text(
                        NumberText.compact(datum.value), x: center, y: min(y, baseline) - 5, anchor: "middle",
                        size: 11, fill: SVGWriter.mutedText)
                }
            } else {
                svg.text(
                    "n/a", x: center, y: baseline - 5, anchor: "middle", size: 11, fill: "#999999",
                    tooltip: "\(datum.label): no value")
            }
            if slanted {
                svg.text(
                    shownLabels[index], x: center + 3, y: frame.bottom + 14, anchor: "end", size: 11,
                    rotate: -40, tooltip: datum.label)
            } else {
                svg.text(
                    shownLabels[index], x: center, y: frame.bottom + 16, anchor: "middle", size: 11,
                    tooltip: datum.label)
            }
        }
        svg.element(
            "line",
            [
                "x1": coord(frame.left), "y1": coord(baseline), "x2": coord(frame.right),
                "y2": coord(baseline), "stroke": SVGWriter.axisColor,
            ])
        if !xLabel.isEmpty {
            svg.text(
                XMLText.truncate(xLabel, maxCharacters: 60), x: frame.left + frame.width / 2,
                y: totalHeight - 10, anchor: "middle", tooltip: xLabel)
        }
        return svg.document(title: title, cssClass: "chart chart-bar")
    }
}
