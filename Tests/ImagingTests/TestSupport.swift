import Foundation
@testable import Imaging

/// A fresh temporary folder, removed by `cleanup()`.
struct TempDir {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("wbc-imaging-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> URL { url.appendingPathComponent(name) }
    func folder(_ name: String) throws -> URL {
        let u = url.appendingPathComponent(name, isDirectory: true)
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }
    func cleanup() { try? FileManager.default.removeItem(at: url) }
}

/// A deterministic colourful test image.
func gradientImage(width: Int, height: Int) -> RGBImage {
    var img = RGBImage(width: width, height: height)
    for y in 0..<height {
        for x in 0..<width {
            img[x, y] = (UInt8((x * 255) / max(1, width - 1)), UInt8((y * 255) / max(1, height - 1)), UInt8((x + y) % 256))
        }
    }
    return img
}

func maxAbsDiff(_ a: [UInt8], _ b: [UInt8]) -> Int {
    zip(a, b).map { abs(Int($0) - Int($1)) }.max() ?? 0
}

func meanAbsDiff(_ a: [UInt8], _ b: [UInt8]) -> Double {
    Double(zip(a, b).map { abs(Int($0) - Int($1)) }.reduce(0, +)) / Double(max(1, a.count))
}
