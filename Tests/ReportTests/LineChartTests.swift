import Testing

@testable import Report

@Suite struct LineChartTests {
    @Test func drawsEverySeriesWithALegend() throws {
        let series = [
            LineSeries(name: "KL loss", values: [0.09, 0.06, 0.04, 0.03]),
            LineSeries(name: "accuracy", values: [0.55, 0.62, 0.68, 0.7], axis: .secondary),
            LineSeries(name: "NMI", values: [0.35, 0.42, 0.47, 0.5], axis: .secondary),
        ]
        let svg = SVGChart.lines(title: "Clustering", series: series, yLabel: "Loss", secondaryLabel: "Score")
        let xml = try parseXML(svg)
        #expect(xml.count(class: "series") == 3)
        #expect(xml.count(class: "legend-item") == 3)
        #expect(xml.count(class: "point") == 12)
        #expect(xml.texts.contains("Score"))
        #expect(xml.texts.contains("accuracy (right axis)"))
        #expect(xml.titles.contains("accuracy — Epoch 2: 0.62"))
        // Whole epochs 1...4 get whole-number ticks only.
        #expect(xml.texts.contains("1") && xml.texts.contains("4"))
        #expect(!xml.texts.contains("1.5"))
    }

    @Test func nonFiniteValuesBreakTheLine() throws {
        let series = [LineSeries(name: "loss", values: [1, 0.8, .nan, 0.5, 0.4, .infinity, 0.3])]
        let svg = SVGChart.lines(title: "t", series: series)
        let xml = try parseXML(svg)
        let path = try #require(xml.attributes.first { $0.attributes["class"] == "series" }?.attributes["d"])
        // Two segments of two points; the lone 0.3 shows as a dot.
        #expect(path.filter { $0 == "M" }.count == 2)
        #expect(xml.count(class: "point") == 5)
        #expect(!svg.contains("NaN") && !svg.contains("∞"))
    }

    @Test func emptySeriesIsNamedButNotDrawn() throws {
        let series = [LineSeries(name: "loss", values: [3, 2, 1]), LineSeries(name: "NMI", values: [])]
        let xml = try parseXML(SVGChart.lines(title: "t", series: series))
        #expect(xml.count(class: "series") == 1)
        #expect(xml.texts.contains("NMI (no data)"))
    }

    @Test func noDataAtAllShowsANote() throws {
        let xml = try parseXML(SVGChart.lines(title: "t", series: [LineSeries(name: "x", values: [.nan])]))
        #expect(xml.count(class: "series") == 0)
        #expect(xml.count(class: "empty-note") == 1)
        let none = try parseXML(SVGChart.lines(title: "t", series: []))
        #expect(none.count(class: "empty-note") == 1)
    }

    @Test func explicitXValuesAndLongSeriesWithoutDots() throws {
        let n = 200
        let series = [
            LineSeries(
                name: "loss", values: (0..<n).map { 1 / Double($0 + 1) },
                x: (0..<n).map { Double($0) * 0.5 })
        ]
        let xml = try parseXML(SVGChart.lines(title: "t", series: series, xLabel: "Step"))
        #expect(xml.count(class: "point") == 0)
        let path = try #require(xml.attributes.first { $0.attributes["class"] == "series" }?.attributes["d"])
        #expect(path.filter { $0 == "L" }.count == n - 1)
    }
}
