import Foundation
import Testing

@testable import Imaging

/// JPEG bytes with an APP1 "Exif" segment declaring `orientation` (big-endian TIFF), right after SOI.
func withExifOrientation(_ jpeg: [UInt8], _ orientation: UInt16, littleEndian: Bool = false) -> [UInt8] {
    func u16(_ v: Int) -> [UInt8] { littleEndian ? [UInt8(v & 0xFF), UInt8(v >> 8)] : [UInt8(v >> 8), UInt8(v & 0xFF)] }
    func u32(_ v: Int) -> [UInt8] { littleEndian ? u16(v & 0xFFFF) + u16(v >> 16) : u16(v >> 16) + u16(v & 0xFFFF) }
    // Two entries, the orientation second, so that the reader must walk the directory.
    let tiff: [UInt8] =
        (littleEndian ? [0x49, 0x49] : [0x4D, 0x4D]) + u16(42) + u32(8) + u16(2)
        + u16(0x010F) + u16(2) + u32(4) + [0x41, 0x42, 0x43, 0]  // Make: "ABC"
        + u16(0x0112) + u16(3) + u32(1) + u16(Int(orientation)) + [0, 0] + u32(0)
    let payload: [UInt8] = Array("Exif".utf8) + [0, 0] + tiff
    return [0xFF, 0xD8, 0xFF, 0xE1] + [UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
        + Array(jpeg.dropFirst(2))
}

@Suite struct ExifOrientationTests {
    /// A 3×2 image a b c / d e f, each pixel one grey level, shown as each orientation should show it.
    @Test func everyOrientationTurnsTheStoredPixelsAsTheStandardSays() {
        let stored = RGBImage(width: 3, height: 2, pixels: [1, 2, 3, 4, 5, 6].flatMap { [UInt8($0), UInt8($0), UInt8($0)] })
        let expected: [ExifOrientation: (Int, [UInt8])] = [
            .up: (3, [1, 2, 3, 4, 5, 6]),
            .mirrored: (3, [3, 2, 1, 6, 5, 4]),
            .rotated180: (3, [6, 5, 4, 3, 2, 1]),
            .flippedVertically: (3, [4, 5, 6, 1, 2, 3]),
            .transposed: (2, [1, 4, 2, 5, 3, 6]),
            .rotatedClockwise: (2, [4, 1, 5, 2, 6, 3]),
            .transversed: (2, [6, 3, 5, 2, 4, 1]),
            .rotatedAnticlockwise: (2, [3, 6, 2, 5, 1, 4]),
        ]
        for o in ExifOrientation.allCases {
            let shown = o.apply(to: stored)
            let (width, grey) = expected[o]!
            #expect(shown.width == width && shown.height == 6 / width, "\(o)")
            #expect(stride(from: 0, to: shown.pixels.count, by: 3).map { shown.pixels[$0] } == grey, "\(o)")
        }
    }

    @Test func decodingAppliesTheTagToTheSamePixels() throws {
        let plain = try ImageEncoding.jpeg(gradientImage(width: 40, height: 24), quality: 95)
        let upright = try ImageDecoding.decode(plain)
        for o in ExifOrientation.allCases {
            for little in [false, true] {
                let tagged = withExifOrientation(plain, o.rawValue, littleEndian: little)
                #expect(try ImageDecoding.decode(tagged) == o.apply(to: upright), "\(o)")
                let size = try ImageDecoding.header(Data(tagged)).size
                #expect(size == (o.swapsSides ? ImageSize(width: 24, height: 40) : ImageSize(width: 40, height: 24)), "\(o)")
            }
        }
    }

    /// What a phone writes: the pixels as the sensor saw them (turned), and the tag that turns them back.
    @Test func aCellStoredTurnedIsPreprocessedLikeTheUprightOne() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let cell = SyntheticSmears.render(.eosinophil, seed: 3, index: 0, options: SyntheticSmears.Options(size: ImageSize(width: 96, height: 72)))
        let upright = dir.file("upright.jpg")
        let turned = dir.file("turned.jpg")
        try Data(ImageEncoding.jpeg(cell, quality: 95)).write(to: upright)
        // Stored turned a quarter anticlockwise; the tag (6) says to turn it clockwise to show it.
        let stored = ExifOrientation.rotatedAnticlockwise.apply(to: cell)
        try Data(withExifOrientation(try ImageEncoding.jpeg(stored, quality: 95), 6)).write(to: turned)
        let options = PreprocessOptions(side: 32, crop: .nucleus)
        let a = try options.preprocess(upright).image.pixels
        let b = try options.preprocess(turned).image.pixels
        let meanDifference = Self.meanAbsoluteDifference(a, b)
        #expect(meanDifference < 3, "mean difference \(meanDifference) per sample")
        // Without the tag the same pixels are another picture.
        try Data(try ImageEncoding.jpeg(stored, quality: 95)).write(to: turned)
        let untagged = try options.preprocess(turned).image.pixels
        #expect(Self.meanAbsoluteDifference(a, untagged) > 10)
    }

    static func meanAbsoluteDifference(_ a: [UInt8], _ b: [UInt8]) -> Double {
        var sum = 0
        for (x, y) in zip(a, b) { sum += abs(Int(x) - Int(y)) }
        return Double(sum) / Double(a.count)
    }

    @Test func damagedExifIsIgnoredNotFatal() throws {
        let plain = try ImageEncoding.jpeg(gradientImage(width: 16, height: 8))
        let upright = try ImageDecoding.decode(plain)
        let tagged = withExifOrientation(plain, 6)
        var cases: [[UInt8]] = []
        var badOrder = tagged
        badOrder[10] = 0x58  // neither II nor MM
        cases.append(badOrder)
        var hugeDirectory = tagged
        hugeDirectory[18] = 0xFF  // 65,000 entries that are not there
        hugeDirectory[19] = 0xFF
        cases.append(hugeDirectory)
        var farOffset = tagged
        farOffset[14] = 0x7F  // IFD0 beyond the segment
        cases.append(farOffset)
        cases.append(withExifOrientation(plain, 9))  // not an orientation
        for (i, bytes) in cases.enumerated() {
            #expect(try ImageDecoding.decode(bytes) == upright, "case \(i)")
        }
    }
}

@Suite struct BMPAlphaTests {
    /// Transparent, opaque and half-transparent pixels, as BGRA bytes and as the RGBA a PNG would hold.
    let bgra: [UInt8] = [0, 0, 0, 0, 30, 20, 10, 255, 0, 0, 200, 128]
    var rgba: [UInt8] {
        var out: [UInt8] = []
        for i in stride(from: 0, to: bgra.count, by: 4) { out += [bgra[i + 2], bgra[i + 1], bgra[i], bgra[i + 3]] }
        return out
    }

    func pngReference() throws -> RGBImage {
        try ImageDecoding.decode(PNGCodec.encode(raw: rgba, width: 3, height: 1, format: PNGCodec.flagColor | PNGCodec.flagAlpha))
    }

    @Test func plainThirtyTwoBitAlphaIsCompositedAsPNGs() throws {
        let bmp = BMPDecoder.write(width: 3, height: 1, bpp: 32, stride: 12, palette: [], topDown: false) { _, row in
            row.replaceSubrange(0..<12, with: bgra)
        }
        let decoded = try ImageDecoding.decode(bmp)
        #expect(decoded == (try pngReference()))
        #expect(Array(decoded.pixels[0..<6]) == [255, 255, 255, 10, 20, 30])
    }

    /// A BITMAPV4HEADER with bit-field masks, alpha in the top byte.
    @Test func v4HeaderAlphaMaskIsCompositedAsPNGs() throws {
        func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        let offset = 14 + 108
        var bytes: [UInt8] = [0x42, 0x4D] + le32(UInt32(offset + 12)) + le32(0) + le32(UInt32(offset))
        bytes += le32(108) + le32(3) + le32(1) + [1, 0, 32, 0] + le32(3) + le32(12) + le32(2835) + le32(2835) + le32(0) + le32(0)
        bytes += le32(0x00FF_0000) + le32(0x0000_FF00) + le32(0x0000_00FF) + le32(0xFF00_0000)
        bytes += Array("BGRs".utf8) + [UInt8](repeating: 0, count: 36 + 12)
        bytes += bgra
        #expect(try ImageDecoding.decode(bytes) == (try pngReference()))
        // The same file without its alpha mask is opaque.
        var opaque = bytes
        for i in 66..<70 { opaque[i] = 0 }
        #expect(try ImageDecoding.decode(opaque).pixels == [0, 0, 0, 10, 20, 30, 200, 0, 0])
    }

    /// A mask with a gap (found by fuzzing: its values overflowed 8 bits) is refused, naming the mask.
    @Test func bitFieldMasksWithGapsAreRefused() throws {
        let bmp = BMPDecoder.write(width: 1, height: 1, bpp: 32, stride: 4, palette: [], topDown: false) { _, row in
            row.replaceSubrange(0..<4, with: [0xFF, 0xFF, 0xFF, 0xFF])
        }
        // Turn it into BI_BITFIELDS with masks after the 40-byte header: red 0b1010 has a gap.
        var bytes = Array(bmp[0..<54]) + [0x0A, 0, 0, 0, 0, 0xFF, 0, 0, 0, 0, 0xFF, 0] + Array(bmp[54...])
        bytes[30] = 3
        bytes[10] = 66
        do {
            _ = try ImageDecoding.decode(bytes)
            Issue.record("a gapped mask decoded")
        } catch {
            #expect(error.description.contains("red bit-field mask 0xa is not one run of bits"), "\(error)")
        }
        #expect(BMPDecoder.isContiguous(0xFF00_0000) && BMPDecoder.isContiguous(0) && !BMPDecoder.isContiguous(0x0F0F))
    }
}

@Suite struct DecoderWarningTests {
    /// A baseline JPEG whose scan header claims a spectral range a sequential decoder ignores.
    func jpegWithOddScanHeader() throws -> (odd: [UInt8], plain: [UInt8]) {
        let jpeg = try ImageEncoding.jpeg(gradientImage(width: 48, height: 32), quality: 90)
        let sos = try #require((0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xDA })
        let components = Int(jpeg[sos + 4])
        var odd = jpeg
        odd[sos + 5 + 2 * components + 1] = 62  // Se: 63 in every sequential scan
        return (odd, jpeg)
    }

    @Test func invalidSequentialScanParametersAreAcceptedWithTheirWarning() throws {
        let (odd, plain) = try jpegWithOddScanHeader()
        let decoded = try ImageDecoding.decodeReportingWarning(Data(odd))
        #expect(decoded.image == (try ImageDecoding.decode(plain)))
        #expect(decoded.warning?.contains("Invalid SOS parameters for sequential JPEG") == true)
        #expect(try ImageDecoding.decodeReportingWarning(Data(plain)).warning == nil)
        // Cut short, the same stream is still refused.
        #expect(throws: ImageDecodingError.self) { try ImageDecoding.decode(Array(odd.prefix(odd.count * 2 / 3))) }
    }

    /// `cells/A` in `dir` with `plain.jpg` and `odd.jpg` (the same image, its scan header odd); the folder and the
    /// plain file's bytes.
    func folderWithPlainAndOdd(in dir: TempDir) throws -> (folder: URL, plain: [UInt8]) {
        let (odd, plain) = try jpegWithOddScanHeader()
        let folder = try dir.folder("cells/A")
        try Data(plain).write(to: folder.appendingPathComponent("plain.jpg"))
        try Data(odd).write(to: folder.appendingPathComponent("odd.jpg"))
        return (folder, plain)
    }

    /// Without a cache (as `wbc predict` loads), the loader's epoch reports the warning with the file's path.
    @Test func loaderReportsTheWarningWithoutACache() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        _ = try folderWithPlainAndOdd(in: dir)
        let loader = ImageLoader(dataset: try ImageDataset.imageFolder(at: dir.file("cells")), preprocessing: PreprocessOptions(side: 32), batchSize: 4)
        var epoch = loader.batches()
        while try epoch.next() != nil {}
        #expect(epoch.warnings.count == 1, "\(epoch.warnings)")
        #expect(epoch.warnings.first?.contains("odd.jpg: ") == true && epoch.warnings.first?.contains("Invalid SOS parameters") == true)
    }

    @Test func cacheAndCensusReportTheWarningAndCountWhatDecodes() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let (folder, plain) = try folderWithPlainAndOdd(in: dir)
        // A whole header over scrambled image data: readable header, no image.
        var scrambled = plain
        let sos = try #require((0..<(plain.count - 1)).first { plain[$0] == 0xFF && plain[$0 + 1] == 0xDA })
        let start = sos + 20
        for i in start..<min(start + 150, plain.count - 2) { scrambled[i] = UInt8((i * 37) & 0x7F) }
        try Data(scrambled).write(to: folder.appendingPathComponent("scrambled.jpg"))
        let dataset = try ImageDataset.imageFolder(at: dir.file("cells"))

        let census = DatasetCensus.take(dataset, threads: 1)
        #expect(census.readable == 3)
        #expect(census.decoded == 2)
        #expect(census.warnings.count == 1 && census.warnings[0].contains("odd.jpg: Invalid SOS"))
        #expect(census.skipped.errors.map { URL(fileURLWithPath: $0.path).lastPathComponent } == ["scrambled.jpg"])

        let cache = try PreprocessedCache.openOrBuild(
            at: dir.file("cache"), dataset: dataset, options: PreprocessOptions(side: 16), threads: 1
        ).cache
        #expect(cache.warnings.count == 1 && cache.warnings[0].contains("odd.jpg: Invalid SOS"))
        #expect(cache.skipped.errors.count == 1)
        #expect(PreprocessedCache.open(dir.file("cache"))?.warnings == cache.warnings)
    }

    @Test func theSizeLimitMessageNamesTheFlagThatRaisesIt() {
        let message = ImageDecodingError.tooLarge(width: 10_000, height: 8_000, maxPixels: 50_000_000).description
        #expect(message.contains("80000000 pixels") && message.contains("50.0 megapixels"))
        #expect(message.contains("--max-megapixels"))
    }
}
