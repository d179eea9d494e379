import Testing

@testable import Report

@Suite struct BarChartTests {
    @Test func drawsOneBarPerTypeInDistinctColours() throws {
        let bars = [("NEUTROPHIL", 207.0), ("EOSINOPHIL", 88), ("LYMPHOCYTE", 33), ("MONOCYTE", 20), ("BASOPHIL", 3)]
            .map { BarDatum(label: $0.0, value: $0.1) }
        let svg = SVGChart.bar(title: "Cell types", bars: bars, yLabel: "Images")
        let xml = try parseXML(svg)
        #expect(xml.count(class: "bar") == 5)
        let fills = xml.attributes.filter { $0.attributes["class"] == "bar" }.compactMap { $0.attributes["fill"] }
        #expect(Set(fills).count == 5)
        #expect(xml.titles.contains("NEUTROPHIL: 207"))
        #expect(xml.texts.contains("Images"))
        // A nice axis for 0...207 ends at 250 and steps by 50.
        #expect(xml.texts.contains("250"))
        #expect(xml.texts.contains("50"))
    }

    @Test func tallerBarForLargerValue() throws {
        let svg = SVGChart.bar(title: "t", bars: [BarDatum(label: "a", value: 10), BarDatum(label: "b", value: 40)])
        let xml = try parseXML(svg)
        let heights = xml.attributes.filter { $0.attributes["class"] == "bar" }
            .compactMap { $0.attributes["height"].flatMap(Double.init) }
        #expect(heights.count == 2)
        #expect(abs(heights[1] / heights[0] - 4) < 0.01)
    }

    @Test func escapesAndTruncatesHostileNames() throws {
        let hostile = "<script>alert(\"x\")</script> & a very long class name that goes on and on"
        let svg = SVGChart.bar(
            title: "A & B <chart>",
            bars: [
                BarDatum(label: hostile, value: 3),
                BarDatum(label: "ok", value: 1),
            ])
        #expect(!svg.contains("<script>"))
        let xml = try parseXML(svg)
        #expect(xml.titles.contains("A & B <chart>"))
        #expect(xml.titles.contains("\(hostile): 3"))
        let shown = try #require(xml.texts.first { $0.hasPrefix("<script>") })
        #expect(shown.hasSuffix("…"))
        #expect(shown.count <= 24)
    }

    @Test func nonFiniteValuesDrawNoBar() throws {
        let svg = SVGChart.bar(
            title: "t",
            bars: [
                BarDatum(label: "a", value: .nan), BarDatum(label: "b", value: 4),
                BarDatum(label: "c", value: .infinity),
            ])
        let xml = try parseXML(svg)
        #expect(xml.count(class: "bar") == 1)
        #expect(xml.texts.filter { $0 == "n/a" }.count == 2)
        #expect(!svg.contains("NaN"))
    }

    @Test func noBarsShowsANote() throws {
        let xml = try parseXML(SVGChart.bar(title: "Empty", bars: []))
        #expect(xml.count(class: "bar") == 0)
        #expect(xml.count(class: "empty-note") == 1)
    }

    @Test func allZeroCountsKeepAZeroBaseline() throws {
        let xml = try parseXML(
            SVGChart.bar(
                title: "t",
                bars: [
                    BarDatum(label: "a", value: 0),
                    BarDatum(label: "b", value: 0),
                ]))
        #expect(xml.count(class: "bar") == 2)
        #expect(xml.texts.contains("0"))
        #expect(!xml.texts.contains { $0.hasPrefix("-") })
    }
}
