import Foundation
import Testing

@testable import Report

@Suite struct GalleryChartTests {
    @Test func embedsEveryThumbnailAsBase64JPEG() throws {
        let jpeg = try #require(Sample.jpegs.first)
        let clusters = [
            ClusterGallery(
                name: "0 → NEUTROPHIL", mostConfident: [Thumbnail(jpeg: jpeg, caption: "a.jpg 0.99")],
                leastConfident: [
                    Thumbnail(jpeg: jpeg, caption: "b.jpg 0.41"),
                    Thumbnail(jpeg: jpeg, caption: "c.jpg 0.38"),
                ]),
            ClusterGallery(name: "1 → <empty>", mostConfident: [], leastConfident: []),
        ]
        let svg = SVGChart.gallery(title: "Gallery", clusters: clusters)
        let xml = try parseXML(svg)
        #expect(xml.count(class: "thumb") == 3)
        #expect(xml.titles.contains("b.jpg 0.41"))
        #expect(xml.texts.contains("No members"))
        #expect(xml.texts.contains("1 → <empty>"))
        let href = try #require(xml.attributes.first { $0.attributes["class"] == "thumb" }?.attributes["href"])
        let prefix = "data:image/jpeg;base64,"
        #expect(href.hasPrefix(prefix))
        let decoded = try #require(Data(base64Encoded: String(href.dropFirst(prefix.count))))
        #expect([UInt8](decoded) == jpeg)
    }

    @Test func nonJPEGBytesBecomeAPlaceholder() throws {
        let clusters = [
            ClusterGallery(
                name: "c",
                mostConfident: [
                    Thumbnail(
                        jpeg: [0x89, 0x50, 0x4E, 0x47],
                        caption: "png?")
                ],
                leastConfident: [Thumbnail(jpeg: [], caption: "nothing")])
        ]
        let xml = try parseXML(SVGChart.gallery(title: "t", clusters: clusters))
        #expect(xml.count(class: "thumb") == 0)
        #expect(xml.count(class: "thumb-missing") == 2)
    }
}
