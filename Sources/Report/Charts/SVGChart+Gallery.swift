import Foundation

extension SVGChart {
    /// A gallery of thumbnails, one row per cluster: its most confident members, then its least confident ones.
    ///
    /// Images are embedded as `data:image/jpeg;base64,…` in `<image class="thumb">` elements, each with its
    /// caption as tooltip. Bytes that are not a JPEG draw a grey placeholder instead. A cluster with no
    /// thumbnails shows "No members". Callers keep the file small by passing small thumbnails (e.g. 64–96 px).
    ///
    /// - Parameters:
    ///   - title: Chart title.
    ///   - clusters: One row per cluster.
    ///   - thumbnailSize: Edge of each square thumbnail in px (images are centred and cropped to fill it).
    public static func gallery(title: String, clusters: [ClusterGallery], thumbnailSize: Double = 72) -> String {
        let size = max(16, thumbnailSize)
        let gap = 6.0
        let nameWidth = 170.0
        let mostSlots = max(1, clusters.map(\.mostConfident.count).max() ?? 0)
        let leastSlots = max(1, clusters.map(\.leastConfident.count).max() ?? 0)
        let mostX = 16 + nameWidth
        let leastX = mostX + Double(mostSlots) * (size + gap) + 28
        // Room for the "Least confident" heading even when the thumbnails under it are few.
        let width = max(420, leastX + max(Double(leastSlots) * (size + gap), 120) + 10)
        let top = 66.0
        let rowHeight = size + 14
        let height = top + Double(max(clusters.count, 1)) * rowHeight + 8
        var svg = SVGWriter(width: width, height: height)
        svg.chartTitle(title)
        guard !clusters.isEmpty else {
            svg.emptyNote("No images", frame: PlotFrame(left: 16, top: top, width: width - 32, height: rowHeight))
            return svg.document(title: title, cssClass: "chart chart-gallery")
        }
        svg.text("Most confident", x: mostX, y: top - 10, weight: "600", fill: SVGWriter.mutedText)
        svg.text("Least confident", x: leastX, y: top - 10, weight: "600", fill: SVGWriter.mutedText)
        svg.element(
            "line",
            [
                "x1": coord(leastX - 15), "y1": coord(top - 24), "x2": coord(leastX - 15),
                "y2": coord(height - 8), "stroke": SVGWriter.gridColor, "stroke-width": "2",
            ])
        for (row, cluster) in clusters.enumerated() {
            let y = top + Double(row) * rowHeight
            let color = Palette.color(row)
            svg.element(
                "rect",
                [
                    "x": "16", "y": coord(y + size / 2 - 12), "width": "6", "height": "24",
                    "fill": color,
                ])
            svg.text(
                XMLText.truncate(cluster.name, maxCharacters: 22), x: 28, y: y + size / 2 + 4, size: 12,
                weight: "600", tooltip: cluster.name)
            if cluster.mostConfident.isEmpty && cluster.leastConfident.isEmpty {
                svg.text("No members", x: mostX, y: y + size / 2 + 4, fill: "#888888", cssClass: "empty-note")
                continue
            }
            for (k, thumb) in cluster.mostConfident.enumerated() {
                drawThumbnail(thumb, into: &svg, x: mostX + Double(k) * (size + gap), y: y, size: size)
            }
            for (k, thumb) in cluster.leastConfident.enumerated() {
                drawThumbnail(thumb, into: &svg, x: leastX + Double(k) * (size + gap), y: y, size: size)
            }
        }
        return svg.document(title: title, cssClass: "chart chart-gallery")
    }

    private static func drawThumbnail(
        _ thumb: Thumbnail, into svg: inout SVGWriter, x: Double, y: Double,
        size: Double
    ) {
        svg.open("g")
        svg.raw("<title>" + XMLText.escape(thumb.caption) + "</title>")
        if thumb.jpeg.count > 3 && thumb.jpeg[0] == 0xFF && thumb.jpeg[1] == 0xD8 {
            let href = "data:image/jpeg;base64," + Data(thumb.jpeg).base64EncodedString()
            svg.element(
                "image",
                [
                    "class": "thumb", "x": coord(x), "y": coord(y), "width": coord(size),
                    "height": coord(size), "preserveAspectRatio": "xMidYMid slice", "href": href,
                ])
        } else {
            svg.element(
                "rect",
                [
                    "class": "thumb-missing", "x": coord(x), "y": coord(y), "width": coord(size),
                    "height": coord(size), "fill": "#dddddd",
                ])
            svg.text("?", x: x + size / 2, y: y + size / 2 + 5, anchor: "middle", size: 14, fill: "#888888")
        }
        svg.element(
            "rect",
            [
                "x": coord(x), "y": coord(y), "width": coord(size), "height": coord(size),
                "fill": "none", "stroke": "#cccccc",
            ])
        svg.close("g")
    }
}
