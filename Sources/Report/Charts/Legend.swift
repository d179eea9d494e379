/// A legend: coloured swatches with names, laid out in rows (flowing) or in one column.
struct Legend {
    enum Swatch { case box, line, dashedLine, dot }

    struct Item {
        var name: String
        var color: String
        var swatch: Swatch
        /// Shown after the (possibly truncated) name and never cut, e.g. a count or "(no data)".
        var suffix = ""
    }

    var items: [Item]
    var maxCharacters = 28
    static let rowHeight = 18.0
    static let fontSize = 11.0

    private func shown(_ item: Item) -> String {
        XMLText.truncate(item.name, maxCharacters: maxCharacters) + item.suffix
    }

    private func itemWidth(_ item: Item) -> Double {
        22 + SVGWriter.textWidth(shown(item), fontSize: Self.fontSize) + 14
    }

    /// Width of the widest item (for a one-column legend).
    var columnWidth: Double { items.map(itemWidth).max() ?? 0 }

    /// Positions of the items flowing left to right within `maxWidth`, and the total height.
    func flow(maxWidth: Double) -> (positions: [(x: Double, y: Double)], height: Double) {
        var positions: [(x: Double, y: Double)] = []
        var x = 0.0
        var y = 0.0
        for item in items {
            let w = itemWidth(item)
            if x > 0 && x + w > maxWidth {
                x = 0
                y += Self.rowHeight
            }
            positions.append((x, y))
            x += w
        }
        return (positions, items.isEmpty ? 0 : y + Self.rowHeight)
    }

    /// Positions of the items in one column, and the total height.
    func column() -> (positions: [(x: Double, y: Double)], height: Double) {
        let positions = items.indices.map { (x: 0.0, y: Double($0) * Self.rowHeight) }
        return (positions, Double(items.count) * Self.rowHeight)
    }

    /// Draws the items at `positions` offset by (`originX`, `originY`); each item carries its full name as tooltip.
    func draw(into svg: inout SVGWriter, positions: [(x: Double, y: Double)], originX: Double, originY: Double) {
        svg.open("g", ["class": "legend"])
        for (item, position) in zip(items, positions) {
            let x = originX + position.x
            let y = originY + position.y
            svg.open("g", ["class": "legend-item"])
            svg.raw("<title>" + XMLText.escape(item.name + item.suffix) + "</title>")
            let mid = y + Self.rowHeight / 2
            switch item.swatch {
            case .box:
                svg.element(
                    "rect",
                    [
                        "x": coord(x), "y": coord(mid - 6), "width": "12", "height": "12",
                        "fill": item.color,
                    ])
            case .dot:
                svg.element("circle", ["cx": coord(x + 6), "cy": coord(mid), "r": "5", "fill": item.color])
            case .line, .dashedLine:
                svg.element(
                    "line",
                    [
                        "x1": coord(x - 2), "y1": coord(mid), "x2": coord(x + 16), "y2": coord(mid),
                        "stroke": item.color, "stroke-width": "2.5",
                        "stroke-dasharray": item.swatch == .dashedLine ? "5 3" : "none",
                    ])
            }
            svg.text(shown(item), x: x + 22, y: mid + 4, size: Self.fontSize)
            svg.close("g")
        }
        svg.close("g")
    }
}
