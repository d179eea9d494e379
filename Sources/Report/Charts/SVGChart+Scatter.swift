extension SVGChart {
    /// A scatter plot of 2-D points coloured by group, with a legend of group names and member counts.
    ///
    /// Meant for t-SNE embeddings: draw it twice side by side, once grouped by cluster and once by true
    /// label (omit the second when labels are absent).
    ///
    /// Size: coordinates are written with at most two decimals. Up to ``individualPointLimit`` points each
    /// become a `<circle class="point">` with a tooltip (group name and coordinates). Above that, each group
    /// is one `<path class="points">` of zero-length round-capped strokes ("M x yh0", about 14 bytes a point;
    /// 10,000 points give roughly 200 KB) whose tooltip names the group and its size, plus invisible
    /// `<circle class="point-tip">` tooltips on an even stride of at most ``sampledTooltipLimit`` points.
    /// Points with non-finite coordinates are skipped. Groups outside `groupNames` are called "Group n".
    ///
    /// - Parameters:
    ///   - title: Chart title.
    ///   - points: The points, any order.
    ///   - groupNames: Name of group i at index i; every named group appears in the legend, even with no points.
    ///   - xLabel: Title of the x axis.
    ///   - yLabel: Title of the y axis.
    ///   - width: Width in px, legend included.
    ///   - height: Height in px.
    public static func scatter(
        title: String, points: [ScatterPoint], groupNames: [String], xLabel: String = "",
        yLabel: String = "", width: Double = 560, height: Double = 460
    ) -> String {
        let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
        var counts: [Int: Int] = [:]
        for p in finite { counts[p.group, default: 0] += 1 }
        let groups = Array(Set(groupNames.indices).union(counts.keys)).sorted()
        func name(_ group: Int) -> String {
            groupNames.indices.contains(group) ? groupNames[group] : "Group \(group)"
        }
        let legend = Legend(
            items: groups.map {
                Legend.Item(
                    name: name($0), color: Palette.color($0), swatch: .dot,
                    suffix: " (\(NumberText.grouped(counts[$0] ?? 0)))")
            }, maxCharacters: 22)
        // Narrow charts (e.g. per-epoch snapshots) put the legend under the plot, wide ones beside it.
        let legendBelow = width < 480
        let legendWidth = legendBelow ? 0 : min(legend.columnWidth, width * 0.4)
        let left = 58.0
        let top = 40.0
        let axisBottom = xLabel.isEmpty ? 34.0 : 50.0
        let right = legendBelow ? 16.0 : legendWidth + 20
        let flowed = legend.flow(maxWidth: width - left - right)
        let legendLayout = legendBelow ? flowed : legend.column()
        let bottom = axisBottom + (legendBelow ? flowed.height + 4 : 0)
        let totalHeight = legendBelow ? height : max(height, top + legendLayout.height + 10)
        var svg = SVGWriter(width: width, height: totalHeight)
        svg.chartTitle(title)
        let frame = PlotFrame(
            left: left, top: top, width: max(60, width - left - right),
            height: max(60, totalHeight - top - bottom))
        if legendBelow {
            legend.draw(
                into: &svg, positions: legendLayout.positions, originX: left,
                originY: frame.bottom + axisBottom - 8)
        } else {
            legend.draw(into: &svg, positions: legendLayout.positions, originX: frame.right + 14, originY: top)
        }
        guard !finite.isEmpty else {
            svg.emptyNote("No points", frame: frame)
            return svg.document(title: title, cssClass: "chart chart-scatter")
        }
        let xScale = NiceScale(covering: finite.map(\.x), targetTicks: tickCount(forPixels: frame.width))
        let yScale = NiceScale(covering: finite.map(\.y), targetTicks: tickCount(forPixels: frame.height))
        svg.valueAxis(yScale, frame: frame, label: yLabel)
        svg.numericXAxis(xScale, frame: frame, label: xLabel)
        func px(_ p: ScatterPoint) -> String { coord(xScale.map(p.x, from: frame.left, to: frame.right)) }
        func py(_ p: ScatterPoint) -> String { coord(yScale.map(p.y, from: frame.bottom, to: frame.top)) }
        func tooltip(_ p: ScatterPoint) -> String {
            "\(name(p.group)) (\(NumberText.compact(p.x, significant: 3)), \(NumberText.compact(p.y, significant: 3)))"
        }

        if finite.count <= individualPointLimit {
            let radius = finite.count > 500 ? "2.5" : "3.5"
            svg.open("g", ["class": "points-layer", "fill-opacity": "0.8"])
            for p in finite {
                svg.element(
                    "circle",
                    [
                        "class": "point", "cx": px(p), "cy": py(p), "r": radius,
                        "fill": Palette.color(p.group),
                    ], tooltip: tooltip(p))
            }
            svg.close("g")
        } else {
            var paths: [Int: String] = [:]
            for p in finite { paths[p.group, default: ""] += "M" + px(p) + " " + py(p) + "h0" }
            svg.open("g", ["class": "points-layer", "stroke-opacity": "0.75", "stroke-linecap": "round"])
            for group in groups {
                guard let d = paths[group] else { continue }
                svg.element(
                    "path",
                    [
                        "class": "points", "d": d, "fill": "none", "stroke": Palette.color(group),
                        "stroke-width": "4",
                    ],
                    tooltip: "\(name(group)): \(NumberText.grouped(counts[group] ?? 0)) points")
            }
            let stride = max(1, (finite.count + sampledTooltipLimit - 1) / sampledTooltipLimit)
            svg.open("g", ["class": "point-tips", "fill": "#000000", "fill-opacity": "0"])
            for index in Swift.stride(from: 0, to: finite.count, by: stride) {
                let p = finite[index]
                svg.element("circle", ["class": "point-tip", "cx": px(p), "cy": py(p), "r": "3"], tooltip: tooltip(p))
            }
            svg.close("g")
            svg.close("g")
        }
        return svg.document(title: title, cssClass: "chart chart-scatter")
    }
}
