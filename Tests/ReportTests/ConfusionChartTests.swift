import Testing

@testable import Report

@Suite struct ConfusionChartTests {
    @Test func everyCellShowsCountAndRowShare() throws {
        let svg = SVGChart.confusion(
            title: "Confusion", counts: [[8, 2, 0], [1, 3, 0]], rowNames: ["A", "B"],
            columnNames: ["0 → A", "1 → B", "2 → ?"])
        let xml = try parseXML(svg)
        #expect(xml.count(class: "cell") == 6)
        #expect(xml.texts.contains("80.0%"))
        #expect(xml.texts.contains("25.0%"))
        #expect(xml.titles.contains("True A, 0 → A: 8 (80.0% of row)"))
        // Row totals.
        #expect(xml.texts.contains("10") && xml.texts.contains("4"))
    }

    @Test func emptyRowsAndRaggedInput() throws {
        let svg = SVGChart.confusion(
            title: "t", counts: [[5], [], [0, 0]], rowNames: ["A", "B", "C"],
            columnNames: ["x", "y"])
        let xml = try parseXML(svg)
        #expect(xml.count(class: "cell") == 6)
        #expect(xml.texts.filter { $0 == "–" }.count == 4)
    }

    @Test func darkCellsGetLightText() throws {
        let xml = try parseXML(
            SVGChart.confusion(
                title: "t", counts: [[10, 0]], rowNames: ["A"],
                columnNames: ["x", "y"]))
        let fills = xml.attributes.filter { $0.name == "text" && $0.attributes["font-size"] == "13" }
            .compactMap { $0.attributes["fill"] }
        #expect(fills == ["#ffffff", "#1a1a1a"])
    }

    @Test func noDataShowsANote() throws {
        let xml = try parseXML(SVGChart.confusion(title: "t", counts: [], rowNames: [], columnNames: []))
        #expect(xml.count(class: "cell") == 0)
        #expect(xml.count(class: "empty-note") == 1)
    }
}
