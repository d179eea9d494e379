import Foundation
import Report

/// Writes the sample report, optionally with real JPEGs from a folder as gallery thumbnails.
enum SampleReport {
    /// Up to `limit` JPEG files found (recursively, in sorted order) under `directory`.
    static func jpegs(under directory: String, limit: Int = 12) -> [[UInt8]] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        let names = enumerator.compactMap { $0 as? String }
            .filter { $0.lowercased().hasSuffix(".jpg") || $0.lowercased().hasSuffix(".jpeg") }
            .sorted()
        let stride = max(1, names.count / max(limit, 1))
        return Swift.stride(from: 0, to: names.count, by: stride).prefix(limit).compactMap { index in
            FileManager.default.contents(atPath: directory + "/" + names[index]).map { [UInt8]($0) }
        }
    }

    /// Renders the full sample report to `path`; returns the HTML written.
    @discardableResult
    /// `edgeCases` renders ``Sample/edgeCaseContent()`` instead of the full sample.
    static func write(to path: String, imagesDirectory: String? = nil, edgeCases: Bool = false) throws -> String {
        let real = imagesDirectory.map { jpegs(under: $0) } ?? []
        let content =
            edgeCases
            ? Sample.edgeCaseContent()
            : Sample.fullContent(points: 1_500, thumbnails: real.isEmpty ? Sample.jpegs : real)
        let html = HTMLReport.render(content)
        try html.write(toFile: path, atomically: true, encoding: .utf8)
        return html
    }
}
