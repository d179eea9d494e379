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

/// A 16-bit RGB PNG written byte by byte, with no gAMA, sRGB or other colour chunk (as Pillow, OpenCV and
/// many cameras write them): IHDR, one IDAT holding a stored (uncompressed) zlib stream, IEND.
func rawPNG16(width: Int, height: Int, samples: [UInt16]) -> Data {
    func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return ~c
    }
    func bigEndian32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + body
        return bigEndian32(UInt32(body.count)) + typed + bigEndian32(crc32(typed))
    }
    var rows: [UInt8] = []
    for y in 0..<height {
        rows.append(0)  // filter: none
        for s in samples[(y * width * 3)..<((y + 1) * width * 3)] { rows += [UInt8(s >> 8), UInt8(s & 0xFF)] }
    }
    var a: UInt32 = 1
    var b: UInt32 = 0
    for byte in rows {
        a = (a + UInt32(byte)) % 65521
        b = (b + a) % 65521
    }
    let length = UInt16(rows.count)
    let zlib =
        [0x78, 0x01, 0x01, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)]
        + rows + bigEndian32(b << 16 | a)
    let header = bigEndian32(UInt32(width)) + bigEndian32(UInt32(height)) + [16, 2, 0, 0, 0]
    return Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + chunk("IDAT", zlib) + chunk("IEND", []))
}
