import Foundation
import Testing

@testable import Report

/// The path of an executable called `name` on the PATH, if any.
func executableOnPath(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    for directory in path.split(separator: ":") {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

@Suite struct ScreenshotTests {
    /// Set by `Scripts/screenshot-report.sh`: where to write the sample report (and, optionally, a folder of JPEGs).
    static let sampleOutput = ProcessInfo.processInfo.environment["WBC_REPORT_SAMPLE"]
    static let sampleImages = ProcessInfo.processInfo.environment["WBC_REPORT_SAMPLE_IMAGES"]
    /// `edge` renders the edge-case sample instead.
    static let sampleKind = ProcessInfo.processInfo.environment["WBC_REPORT_SAMPLE_KIND"]

    @Test(.enabled(if: sampleOutput != nil, "set WBC_REPORT_SAMPLE=path to write the sample report"))
    func writeSampleReport() throws {
        let path = try #require(Self.sampleOutput)
        let html = try SampleReport.write(
            to: path, imagesDirectory: Self.sampleImages,
            edgeCases: Self.sampleKind == "edge")
        let written = try String(contentsOfFile: path, encoding: .utf8)
        #expect(written == html)
        _ = try parseXML(written)
    }

    @Test(
        .enabled(if: executableOnPath("chromium") != nil, "chromium is not on the PATH"),
        .timeLimit(.minutes(2)))
    func headlessChromiumRendersTheReport() throws {
        let chromium = try #require(executableOnPath("chromium"))
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("wbc-report-screenshot-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let htmlPath = directory.appendingPathComponent("report.html").path
        let pngPath = directory.appendingPathComponent("report.png").path
        try SampleReport.write(to: htmlPath)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--user-data-dir=" + directory.appendingPathComponent("profile").path,
            "--screenshot=" + pngPath, "--window-size=1400,3000", "file://" + htmlPath,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let attributes = try FileManager.default.attributesOfItem(atPath: pngPath)
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        // A blank 1400×3000 PNG compresses to a few KB; charts and thumbnails make it far larger.
        #expect(size > 100_000, "screenshot is only \(size) bytes")
        let png = try #require(FileManager.default.contents(atPath: pngPath))
        #expect(Array(png.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
    }
}
