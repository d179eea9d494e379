import Testing

@testable import Report

@Suite struct HTMLReportTests {
    static let allSections = [
        "metrics", "cell-types", "training", "embedding", "confusion", "confidence", "gallery",
        "snapshots", "settings", "timing", "network",
    ]

    @Test func fullReportHasEverySectionAndParses() throws {
        let html = HTMLReport.render(Sample.fullContent())
        let xml = try parseXML(html)
        let sections = xml.attributes.filter { $0.name == "section" }.compactMap { $0.attributes["id"] }
        #expect(sections == Self.allSections)
        // bar, 2 line charts, 2 scatters, confusion, histogram, gallery, 3 snapshots.
        #expect(xml.count("svg") == 11)
        #expect(xml.count(class: "thumb") == 4 * 12)
        #expect(xml.texts.contains("t-SNE by true cell type"))
        #expect(xml.count("nav") == 1)
    }

    @Test func selfContained() {
        let html = HTMLReport.render(Sample.fullContent())
        #expect(!html.contains("<script"))
        #expect(!html.contains("src=\"http"))
        #expect(!html.contains("href=\"http"))
        #expect(!html.contains("@import"))
        #expect(!html.contains("url("))
    }

    @Test func unlabelledRunLeavesLabelSectionsOut() throws {
        let html = HTMLReport.render(Sample.unlabelledContent())
        let xml = try parseXML(html)
        #expect(!xml.ids.contains("confusion"))
        #expect(!xml.ids.contains("metrics"))
        #expect(!xml.ids.contains("cell-types"))
        #expect(xml.ids.contains("embedding"))
        #expect(!html.contains("by true cell type"))
        #expect(xml.count(class: "chart-scatter") == 1 + 3)
    }

    @Test func metricsTableShowsOnlyMeasuredColumns() throws {
        var content = ReportContent(title: "t")
        content.metrics = [
            .init(split: "train", accuracy: 0.9123, nmi: 0.81234),
            .init(split: "test", accuracy: 0.8, nmi: nil),
        ]
        let html = HTMLReport.render(content)
        let xml = try parseXML(html)
        #expect(xml.ids == ["metrics"])
        #expect(html.contains(">ACC</th>") && html.contains(">NMI</th>"))
        #expect(!html.contains(">ARI</th>"))
        #expect(!html.contains("Mononuclear"))
        #expect(html.contains(">91.2%</td>") && html.contains(">0.812</td>") && html.contains(">–</td>"))
    }

    @Test func imagesScoredAreShownWhenNotAllAre() throws {
        var content = ReportContent(title: "t")
        content.metrics = [
            .init(split: "train", images: 367, accuracy: 0.38, scored: 358),
            .init(split: "test", images: 2487, accuracy: 0.42, scored: 2487),
        ]
        let html = HTMLReport.render(content)
        _ = try parseXML(html)
        #expect(html.contains(">367 (358 scored)</td>"))
        #expect(html.contains(">2,487</td>"), "\(html)")
    }

    @Test func emptyContentRendersOnlyTheHeader() throws {
        let html = HTMLReport.render(ReportContent(title: "Nothing yet"))
        let xml = try parseXML(html)
        #expect(xml.count("section") == 0)
        #expect(xml.count("svg") == 0)
        #expect(xml.count("nav") == 0)
        #expect(html.contains("nothing to report"))
    }

    @Test func sectionsWithoutDrawableDataAreLeftOut() throws {
        var content = ReportContent(title: "t")
        content.pretrainingCurves = [LineSeries(name: "loss", values: [.nan, .nan])]
        content.embedding = .init(points: [], clusterNames: ["a"])
        content.confusion = .init(counts: [[]], trueNames: [], clusterNames: [])
        content.snapshots = [.init(caption: "Epoch 1", points: [], groupNames: [])]
        let xml = try parseXML(HTMLReport.render(content))
        #expect(xml.count("section") == 0)
    }

    @Test func userTextIsEscapedEverywhere() throws {
        var content = ReportContent(title: "Run <b>&amp;</b>", subtitle: "\"quoted\" & 'single'")
        content.settings = [.init(key: "data <dir>", value: "/tmp/a&b/<x>")]
        content.stageTimes = [.init(stage: "<pretrain>", seconds: 75)]
        content.network = [
            .init(name: "enc<0>", outputShape: [64, 8, 8], parameters: 1_000),
            .init(name: "dec&1", outputShape: [3, 32, 32], parameters: 2_500),
        ]
        let html = HTMLReport.render(content)
        let xml = try parseXML(html)
        #expect(xml.ids == ["settings", "timing", "network"])
        #expect(xml.titles == ["Run <b>&amp;</b>"])
        #expect(!html.contains("<b>") && !html.contains("<x>") && !html.contains("<pretrain>"))
        #expect(html.contains("/tmp/a&amp;b/&lt;x&gt;"))
        #expect(html.contains(">3,500</td>"))
        #expect(html.contains("1 min 15 s"))
    }

    @Test func oneClusterReport() throws {
        var content = ReportContent(title: "one")
        let points = Sample.blobs(count: 40, groups: 1)
        content.embedding = .init(
            points: points, clusterNames: ["0 → NEUTROPHIL"],
            trueLabels: Array(repeating: 0, count: 40), labelNames: ["NEUTROPHIL"])
        content.confusion = .init(counts: [[40]], trueNames: ["NEUTROPHIL"], clusterNames: ["0 → NEUTROPHIL"])
        content.confidences = [HistogramGroup(name: "0 → NEUTROPHIL", values: Array(repeating: 1, count: 40))]
        let xml = try parseXML(HTMLReport.render(content))
        #expect(xml.ids == ["embedding", "confusion", "confidence"])
        #expect(xml.count(class: "point") == 80)
        #expect(xml.count(class: "cell") == 1)
        #expect(xml.texts.contains("100.0%"))
    }

    @Test func partlyLabelledPointsGetANoLabelGroup() throws {
        var content = ReportContent(title: "t")
        content.embedding = .init(
            points: Sample.blobs(count: 6, groups: 2), clusterNames: ["a", "b"],
            trueLabels: [0, 1, -1, 0, 1], labelNames: ["X", "Y"])
        let xml = try parseXML(HTMLReport.render(content))
        #expect(xml.texts.contains("No label (2)"))
    }

    @Test func tenThousandPointReportStaysSmall() throws {
        var content = ReportContent(title: "big")
        let points = Sample.blobs(count: 10_000, groups: 5)
        content.embedding = .init(
            points: points, clusterNames: (0..<5).map { "Cluster \($0)" },
            trueLabels: points.map { $0.group % 4 }, labelNames: Sample.cellTypes)
        let html = HTMLReport.render(content)
        _ = try parseXML(html)
        #expect(html.utf8.count < 800_000, "report took \(html.utf8.count) bytes")
    }

    @Test func edgeCaseReportRendersSensibly() throws {
        let html = HTMLReport.render(Sample.edgeCaseContent())
        let xml = try parseXML(html)
        #expect(xml.ids == ["training", "embedding", "confidence", "gallery", "settings"])
        #expect(xml.count(class: "chart-scatter") == 1)
        #expect(xml.count(class: "points") == 2)
        #expect(xml.texts.contains("Cluster 1 (empty) (0)"))
        #expect(xml.texts.contains("validation loss (never meas… (no data)"))
        #expect(xml.titles.contains("validation loss (never measured) (no data)"))
        #expect(xml.texts.filter { $0 == "No members" }.count == 2)
        #expect(xml.count(class: "thumb") == 4)
        #expect(!html.contains("NaN") && !html.contains("∞"))
        #expect(html.utf8.count < 600_000, "edge-case report took \(html.utf8.count) bytes")
    }
}
