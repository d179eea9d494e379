extension SVGChart {
    /// A confusion-matrix heatmap: rows are true cell types, columns are clusters (named by the type they
    /// were mapped to). Each cell shows its count and its share of the row, and is shaded by that share.
    ///
    /// Missing entries in ragged rows count as 0 and negative counts as 0. A row with no members shows "–"
    /// for its percentages. A row total is printed right of each row.
    ///
    /// - Parameters:
    ///   - title: Chart title.
    ///   - counts: `counts[r][c]` = images of true type `r` assigned to cluster `c`.
    ///   - rowNames: True cell-type names, one per row.
    ///   - columnNames: Cluster names, e.g. "0 → NEUTROPHIL", one per column.
    ///   - rowAxisLabel: Title of the row axis.
    ///   - columnAxisLabel: Title of the column axis.
    public static func confusion(
        title: String, counts: [[Int]], rowNames: [String], columnNames: [String],
        rowAxisLabel: String = "True cell type",
        columnAxisLabel: String = "Cluster (mapped type)"
    ) -> String {
        let rows = max(counts.count, rowNames.count)
        let columns = max(counts.map(\.count).max() ?? 0, columnNames.count)
        func count(_ r: Int, _ c: Int) -> Int {
            guard counts.indices.contains(r), counts[r].indices.contains(c) else { return 0 }
            return max(0, counts[r][c])
        }
        func rowName(_ r: Int) -> String { rowNames.indices.contains(r) ? rowNames[r] : "Row \(r)" }
        func columnName(_ c: Int) -> String { columnNames.indices.contains(c) ? columnNames[c] : "Cluster \(c)" }

        let cell = columns > 8 ? 58.0 : 76.0
        let rowLabels = (0..<rows).map { XMLText.truncate(rowName($0), maxCharacters: 22) }
        let columnLabels = (0..<columns).map { XMLText.truncate(columnName($0), maxCharacters: 22) }
        let rowLabelWidth = rowLabels.map { SVGWriter.textWidth($0, fontSize: 11) }.max() ?? 0
        let columnLabelWidth = columnLabels.map { SVGWriter.textWidth($0, fontSize: 11) }.max() ?? 0
        let slantColumns = columnLabelWidth > cell - 6
        let left = 40 + rowLabelWidth + 10
        let top = 44 + 20 + (slantColumns ? columnLabelWidth * 0.7 + 10 : 18)
        let gridWidth = Double(columns) * cell
        let gridHeight = Double(rows) * cell
        // Slanted column labels reach up and to the right of their column; leave room for the last one.
        let labelReach = slantColumns ? columnLabelWidth * 0.72 - cell / 2 + 12 : 0
        let width = max(360, left + gridWidth + max(80, labelReach))
        let height = top + max(gridHeight, 60) + 24
        var svg = SVGWriter(width: width, height: height)
        svg.chartTitle(title)
        guard rows > 0, columns > 0 else {
            svg.emptyNote("No data", frame: PlotFrame(left: 20, top: 44, width: width - 40, height: height - 64))
            return svg.document(title: title, cssClass: "chart chart-confusion")
        }
        svg.text(
            XMLText.truncate(columnAxisLabel, maxCharacters: 50), x: left + gridWidth / 2, y: 48,
            anchor: "middle", weight: "600", tooltip: columnAxisLabel)
        svg.text(
            XMLText.truncate(rowAxisLabel, maxCharacters: 40), x: 18, y: top + gridHeight / 2, anchor: "middle",
            weight: "600", rotate: -90, tooltip: rowAxisLabel)
        for c in 0..<columns {
            let x = left + (Double(c) + 0.5) * cell
            if slantColumns {
                svg.text(columnLabels[c], x: x, y: top - 8, size: 11, rotate: -45, tooltip: columnName(c))
            } else {
                svg.text(columnLabels[c], x: x, y: top - 8, anchor: "middle", size: 11, tooltip: columnName(c))
            }
        }
        svg.text("n", x: left + gridWidth + 10, y: top - 8, size: 11, weight: "600", fill: SVGWriter.mutedText)
        for r in 0..<rows {
            let total = (0..<columns).reduce(0) { $0 + count(r, $1) }
            let y = top + Double(r) * cell
            svg.text(rowLabels[r], x: left - 8, y: y + cell / 2 + 4, anchor: "end", size: 11, tooltip: rowName(r))
            for c in 0..<columns {
                let n = count(r, c)
                let share = total > 0 ? Double(n) / Double(total) : 0
                let shareText = total > 0 ? NumberText.percent(share, decimals: 1) : "–"
                let x = left + Double(c) * cell
                svg.element(
                    "rect",
                    [
                        "class": "cell", "x": coord(x), "y": coord(y), "width": coord(cell),
                        "height": coord(cell), "fill": Palette.sequential(share), "stroke": "#ffffff",
                    ],
                    tooltip: "True \(rowName(r)), \(columnName(c)): \(n) (\(shareText) of row)")
                let ink = Palette.needsLightText(onSequential: share) ? "#ffffff" : "#1a1a1a"
                svg.text(
                    NumberText.grouped(n), x: x + cell / 2, y: y + cell / 2 - 2, anchor: "middle", size: 13,
                    weight: "600", fill: ink)
                svg.text(shareText, x: x + cell / 2, y: y + cell / 2 + 14, anchor: "middle", size: 10, fill: ink)
            }
            svg.text(
                NumberText.grouped(total), x: left + gridWidth + 10, y: y + cell / 2 + 4, size: 11,
                fill: SVGWriter.mutedText)
        }
        return svg.document(title: title, cssClass: "chart chart-confusion")
    }
}
