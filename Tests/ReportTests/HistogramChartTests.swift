import Testing

@testable import Report

@Suite struct HistogramChartTests {
    @Test func binsValuesPerGroup() throws {
        let groups = [
            HistogramGroup(name: "c0", values: [0.05, 0.15, 0.15, 0.95, 1.0]),
            HistogramGroup(name: "c1", values: [0.5, 0.55]),
        ]
        let svg = SVGChart.histogram(title: "Confidence", groups: groups, bins: 10)
        let xml = try parseXML(svg)
        #expect(xml.count(class: "panel") == 2)
        // c0: bins 0, 1, 9 (1.0 falls in the last bin); c1: bin 5.
        #expect(xml.count(class: "hist-bar") == 4)
        #expect(xml.titles.contains("c0, confidence 0.1–0.2: 2"))
        #expect(xml.titles.contains("c0, confidence 0.9–1: 2"))
        #expect(xml.texts.contains("c1 (n = 2)"))
    }

    @Test func emptyClusterSaysSoAndOutliersAreClamped() throws {
        let groups = [
            HistogramGroup(name: "empty", values: []),
            HistogramGroup(name: "odd", values: [-3, .nan, 7, .infinity]),
        ]
        let xml = try parseXML(SVGChart.histogram(title: "t", groups: groups, bins: 4))
        #expect(xml.texts.contains("No members"))
        #expect(xml.texts.contains("odd (n = 2)"))
        #expect(xml.count(class: "hist-bar") == 2)
    }

    @Test func oneClusterAndNoClusters() throws {
        let one = try parseXML(SVGChart.histogram(title: "t", groups: [HistogramGroup(name: "a", values: [0.9])]))
        #expect(one.count(class: "panel") == 1)
        #expect(one.count(class: "hist-bar") == 1)
        let none = try parseXML(SVGChart.histogram(title: "t", groups: []))
        #expect(none.count(class: "empty-note") == 1)
    }
}
