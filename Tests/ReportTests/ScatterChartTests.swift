import Testing

@testable import Report

@Suite struct ScatterChartTests {
    @Test func smallPlotsDrawOneCircleWithTooltipPerPoint() throws {
        let points = Sample.blobs(count: 300, groups: 4)
        let svg = SVGChart.scatter(title: "t-SNE", points: points, groupNames: Sample.cellTypes)
        let xml = try parseXML(svg)
        #expect(xml.count(class: "point") == 300)
        #expect(xml.count(class: "legend-item") == 4)
        #expect(xml.titles.filter { $0.hasPrefix("MONOCYTE (") }.count >= 75)
        #expect(xml.texts.contains("NEUTROPHIL (75)"))
    }

    @Test func tenThousandPointsStayCompact() throws {
        let points = Sample.blobs(count: 10_000, groups: 5)
        let svg = SVGChart.scatter(title: "t-SNE", points: points, groupNames: (0..<5).map { "Cluster \($0)" })
        let xml = try parseXML(svg)
        #expect(xml.count(class: "points") == 5)
        #expect(xml.count(class: "point") == 0)
        #expect(xml.count(class: "point-tip") <= SVGChart.sampledTooltipLimit)
        #expect(xml.count(class: "point-tip") >= SVGChart.sampledTooltipLimit / 2)
        #expect(svg.utf8.count < 400_000, "10,000 points took \(svg.utf8.count) bytes")
        let d = xml.attributes.filter { $0.attributes["class"] == "points" }.compactMap { $0.attributes["d"] }
        #expect(d.map { $0.filter { $0 == "M" }.count }.reduce(0, +) == 10_000)
    }

    @Test func oneClusterAndAnEmptyClusterAreShown() throws {
        let points = Sample.blobs(count: 50, groups: 1)
        let xml = try parseXML(SVGChart.scatter(title: "t", points: points, groupNames: ["only", "empty"]))
        #expect(xml.count(class: "point") == 50)
        #expect(xml.texts.contains("only (50)"))
        #expect(xml.texts.contains("empty (0)"))
    }

    @Test func nonFinitePointsAndUnnamedGroups() throws {
        let points = [
            ScatterPoint(x: 1, y: 2, group: 0), ScatterPoint(x: .nan, y: 1, group: 0),
            ScatterPoint(x: 3, y: .infinity, group: 1), ScatterPoint(x: 2, y: 2, group: 7),
        ]
        let svg = SVGChart.scatter(title: "t", points: points, groupNames: ["a"])
        let xml = try parseXML(svg)
        #expect(xml.count(class: "point") == 2)
        #expect(xml.texts.contains("Group 7 (1)"))
        #expect(!svg.contains("NaN"))
    }

    @Test func noPointsShowsANote() throws {
        let xml = try parseXML(SVGChart.scatter(title: "t", points: [], groupNames: ["a"]))
        #expect(xml.count(class: "empty-note") == 1)
    }

    @Test func longGroupNamesAreTruncatedInTheLegendOnly() throws {
        let long = "Cluster 0 → POLYMORPHONUCLEAR <NEUTROPHIL & friends>"
        let xml = try parseXML(
            SVGChart.scatter(
                title: "t", points: Sample.blobs(count: 10, groups: 1),
                groupNames: [long]))
        #expect(xml.titles.contains("\(long) (10)"))
        let legendText = try #require(xml.texts.first { $0.hasPrefix("Cluster 0") })
        #expect(legendText.hasSuffix("… (10)"))
    }
}

@Suite struct ScatterLayoutTests {
    @Test func narrowChartsPutTheLegendBelowThePlot() throws {
        let svg = SVGChart.scatter(
            title: "Epoch 1", points: Sample.blobs(count: 40, groups: 4),
            groupNames: Sample.cellTypes, width: 360, height: 320)
        let xml = try parseXML(svg)
        #expect(xml.count(class: "legend-item") == 4)
        let root = try #require(xml.attributes.first)
        #expect(root.attributes["height"] == "320")
        let legendY = xml.attributes.filter { $0.name == "circle" && $0.attributes["r"] == "5" }
            .compactMap { $0.attributes["cy"].flatMap(Double.init) }
        let pointY = xml.attributes.filter { $0.attributes["class"] == "point" }
            .compactMap { $0.attributes["cy"].flatMap(Double.init) }
        #expect(legendY.count == 4)
        #expect((legendY.min() ?? 0) > (pointY.max() ?? .infinity))
    }

    @Test func manyGroupsMakeTheChartTallEnoughForTheLegend() throws {
        let names = (0..<40).map { "Cluster \($0)" }
        let svg = SVGChart.scatter(title: "t", points: Sample.blobs(count: 400, groups: 40), groupNames: names)
        let xml = try parseXML(svg)
        #expect(xml.count(class: "legend-item") == 40)
        let height = try #require(xml.attributes.first?.attributes["height"].flatMap(Double.init))
        #expect(height >= 40 * 18)
    }
}
