extension HTMLReport {
    static func figure(_ svg: String, caption: String? = nil, wide: Bool = false) -> String {
        var html = "<figure" + (wide ? " class=\"wide\"" : "") + ">" + svg
        if let caption { html += "<figcaption>" + XMLText.escape(caption) + "</figcaption>" }
        return html + "</figure>"
    }

    static func hasData(_ series: [LineSeries]) -> Bool {
        series.contains { !$0.segments.isEmpty }
    }

    static func cellTypeSection(_ content: ReportContent) -> Section? {
        guard !content.cellTypeCounts.isEmpty else { return nil }
        let svg = SVGChart.bar(
            title: "Images per cell type", bars: content.cellTypeCounts, xLabel: "Cell type",
            yLabel: "Images")
        return Section(id: "cell-types", heading: "Cell types", body: figure(svg))
    }

    static func trainingSection(_ content: ReportContent) -> Section? {
        var html = ""
        if hasData(content.pretrainingCurves) {
            html += figure(
                SVGChart.lines(
                    title: "Pretraining", series: content.pretrainingCurves,
                    xLabel: "Epoch", yLabel: "Loss", width: 620, height: 360))
        }
        if hasData(content.clusteringCurves) {
            html += figure(
                SVGChart.lines(
                    title: "Clustering", series: content.clusteringCurves, xLabel: "Epoch",
                    yLabel: "Loss", secondaryLabel: "Score", width: 620, height: 360))
        }
        for chart in content.curveCharts where hasData(chart.series) {
            html += figure(SVGChart.lines(title: chart.title, series: chart.series, xLabel: chart.xLabel, yLabel: chart.yLabel, width: 620, height: 360))
        }
        guard !html.isEmpty else { return nil }
        return Section(id: "training", heading: "Training", body: "<div class=\"row\">" + html + "</div>")
    }

    static func embeddingSection(_ content: ReportContent) -> Section? {
        guard let embedding = content.embedding, !embedding.points.isEmpty else { return nil }
        var html = "<div class=\"row\">"
        html += figure(
            SVGChart.scatter(
                title: "t-SNE by cluster", points: embedding.points,
                groupNames: embedding.clusterNames))
        if let labels = embedding.trueLabels, labels.contains(where: { $0 >= 0 }) {
            let unknown = embedding.labelNames.count
            let relabelled = embedding.points.enumerated().map { index, p in
                let label = index < labels.count && labels[index] >= 0 ? labels[index] : unknown
                return ScatterPoint(x: p.x, y: p.y, group: label)
            }
            var names = embedding.labelNames
            if relabelled.contains(where: { $0.group == unknown }) { names.append("No label") }
            html += figure(SVGChart.scatter(title: "t-SNE by true cell type", points: relabelled, groupNames: names))
        }
        html += "</div>"
        return Section(id: "embedding", heading: "Embedding", body: html)
    }

    static func confusionSection(_ content: ReportContent) -> Section? {
        guard let matrix = content.confusion, !matrix.counts.isEmpty,
            matrix.counts.contains(where: { !$0.isEmpty })
        else { return nil }
        let svg = SVGChart.confusion(
            title: "True cell type × cluster", counts: matrix.counts,
            rowNames: matrix.trueNames, columnNames: matrix.clusterNames)
        return Section(
            id: "confusion", heading: "Confusion matrix",
            body: figure(svg, caption: "Each cell: images, and their share of the true type's row."))
    }

    static func confidenceSection(_ content: ReportContent) -> Section? {
        guard !content.confidences.isEmpty else { return nil }
        let svg = SVGChart.histogram(title: "Confidence per cluster", groups: content.confidences)
        return Section(
            id: "confidence", heading: "Confidence",
            body: figure(svg, caption: "Confidence is each image's largest soft cluster assignment."))
    }

    static func gallerySection(_ content: ReportContent) -> Section? {
        guard !content.galleries.isEmpty else { return nil }
        let svg = SVGChart.gallery(title: "Members per cluster", clusters: content.galleries)
        return Section(id: "gallery", heading: "Gallery", body: figure(svg, wide: true))
    }

    static func snapshotSection(_ content: ReportContent) -> Section? {
        let snapshots = content.snapshots.filter { !$0.points.isEmpty }
        guard !snapshots.isEmpty else { return nil }
        var html = "<div class=\"grid\">"
        for snapshot in snapshots {
            html += figure(
                SVGChart.scatter(
                    title: snapshot.caption, points: snapshot.points,
                    groupNames: snapshot.groupNames, width: 400, height: 320))
        }
        html += "</div>"
        return Section(id: "snapshots", heading: "Embedding during training", body: html)
    }
}
