extension SVGChart {
    /// Small multiples of histograms, one panel per group (e.g. the confidence of each cluster's members).
    ///
    /// Each panel has its own count axis and a title with the group size; a group with no values shows
    /// "No members". Non-finite values are skipped; values outside `domain` fall into the end bins.
    /// Only non-empty bins draw a `<rect class="hist-bar">` (with a tooltip giving the bin and its count).
    ///
    /// - Parameters:
    ///   - title: Chart title.
    ///   - groups: One panel per group, in order.
    ///   - bins: Number of equal-width bins over `domain` (at least 1).
    ///   - domain: Range of the value axis, by default 0...1.
    ///   - valueLabel: Title of each panel's value axis.
    ///   - columns: Panels per row.
    public static func histogram(
        title: String, groups: [HistogramGroup], bins: Int = 10,
        domain: ClosedRange<Double> = 0...1, valueLabel: String = "Confidence",
        columns: Int = 4
    ) -> String {
        let binCount = max(1, bins)
        let perRow = max(1, min(columns, max(groups.count, 1)))
        let rowsOfPanels = max(1, (groups.count + perRow - 1) / perRow)
        let panelWidth = 250.0
        let panelHeight = 190.0
        let width = max(360, Double(perRow) * panelWidth + 20)
        let height = 44 + Double(rowsOfPanels) * panelHeight + 10
        var svg = SVGWriter(width: width, height: height)
        svg.chartTitle(title)
        guard !groups.isEmpty else {
            svg.emptyNote("No data", frame: PlotFrame(left: 20, top: 44, width: width - 40, height: height - 64))
            return svg.document(title: title, cssClass: "chart chart-histogram")
        }
        let low = domain.lowerBound
        let high = domain.upperBound
        let span = high - low
        let xScale = NiceScale(lower: low, upper: high, step: NiceScale.nice(max(span, 1e-12) / 5, round: true))
        for (index, group) in groups.enumerated() {
            var histogram = [Int](repeating: 0, count: binCount)
            var total = 0
            for v in group.values where v.isFinite {
                let position = span > 0 ? (v - low) / span : 0
                let bin = min(binCount - 1, max(0, Int((position * Double(binCount)).rounded(.down))))
                histogram[bin] += 1
                total += 1
            }
            let originX = 10 + Double(index % perRow) * panelWidth
            let originY = 44 + Double(index / perRow) * panelHeight
            let frame = PlotFrame(
                left: originX + 52, top: originY + 26, width: panelWidth - 70,
                height: panelHeight - 26 - 50)
            svg.open("g", ["class": "panel"])
            // The panel title must fit the panel: the name gives way, the count does not.
            let countText = " (n = \(NumberText.grouped(total)))"
            let fitting = Int((panelWidth - 16) / (12 * 0.68)) - countText.count  // bold glyphs run wide
            svg.text(
                XMLText.truncate(group.name, maxCharacters: max(4, fitting)) + countText,
                x: originX + panelWidth / 2, y: originY + 16, anchor: "middle", size: 12, weight: "600",
                tooltip: group.name + countText)
            if total == 0 {
                svg.emptyNote("No members", frame: frame)
                svg.close("g")
                continue
            }
            let yScale = NiceScale(covering: histogram.map(Double.init), targetTicks: 4, includeZero: true)
            var integerScale = yScale
            if integerScale.step < 1 { integerScale = NiceScale(lower: 0, upper: max(1, yScale.upper.rounded(.up)), step: 1) }
            svg.valueAxis(integerScale, frame: frame, label: "Count")
            svg.numericXAxis(xScale, frame: frame, label: valueLabel)
            let color = Palette.color(index)
            for (bin, n) in histogram.enumerated() where n > 0 {
                let x0 = xScale.map(low + span * Double(bin) / Double(binCount), from: frame.left, to: frame.right)
                let x1 = xScale.map(low + span * Double(bin + 1) / Double(binCount), from: frame.left, to: frame.right)
                let y = integerScale.map(Double(n), from: frame.bottom, to: frame.top)
                let range =
                    NumberText.compact(low + span * Double(bin) / Double(binCount), significant: 3) + "–"
                    + NumberText.compact(low + span * Double(bin + 1) / Double(binCount), significant: 3)
                svg.element(
                    "rect",
                    [
                        "class": "hist-bar", "x": coord(x0 + 0.5), "y": coord(y),
                        "width": coord(max(0.5, x1 - x0 - 1)), "height": coord(frame.bottom - y),
                        "fill": color,
                    ],
                    tooltip: "\(group.name), \(valueLabel.lowercased()) \(range): \(n)")
            }
            svg.close("g")
        }
        return svg.document(title: title, cssClass: "chart chart-histogram")
    }
}
