import Foundation
import Testing

@testable import Imaging

@Suite struct DecodingTests {
    let image = gradientImage(width: 40, height: 30)

    @Test func sniffsFormatFromMagicBytes() throws {
        #expect(ImageFormat.sniff(try ImageEncoding.png(image)) == .png)
        #expect(ImageFormat.sniff(try ImageEncoding.jpeg(image)) == .jpeg)
        #expect(ImageFormat.sniff(ImageEncoding.bmp(image)) == .bmp)
        #expect(ImageFormat.sniff(Array("hello world".utf8)) == nil)
    }

    @Test func pngRoundTripIsLossless() throws {
        let decoded = try ImageDecoding.decode(try ImageEncoding.png(image))
        #expect(decoded == image)
    }

    @Test func jpegRoundTripIsClose() throws {
        let decoded = try ImageDecoding.decode(try ImageEncoding.jpeg(image, quality: 95))
        #expect(decoded.width == 40 && decoded.height == 30)
        #expect(meanAbsDiff(decoded.pixels, image.pixels) < 4)
    }

    @Test func jpegScaledDecodingKeepsMinimumSize() throws {
        let big = gradientImage(width: 320, height: 240)
        let bytes = try ImageEncoding.jpeg(big)
        let half = try ImageDecoding.decode(bytes, options: DecodeOptions(minimumSize: ImageSize(side: 112)))
        #expect(half.width == 160 && half.height == 120)
        let eighth = try ImageDecoding.decode(bytes, options: DecodeOptions(minimumSize: ImageSize(side: 30)))
        #expect(eighth.width == 40 && eighth.height == 30)
        let full = try ImageDecoding.decode(bytes, options: DecodeOptions(minimumSize: ImageSize(side: 224)))
        #expect(full.width == 320 && full.height == 240)
    }

    @Test func grayscaleJPEGBecomesRGB() throws {
        var gray = image
        for i in 0..<(gray.width * gray.height) {
            gray.pixels[3 * i + 1] = gray.pixels[3 * i]
            gray.pixels[3 * i + 2] = gray.pixels[3 * i]
        }
        let bytes = try JPEGCodec.encode(pixels: gray.pixels, width: 40, height: 30, grayscale: true, quality: 95)
        let decoded = try ImageDecoding.decode(bytes)
        #expect(decoded.width == 40)
        for i in 0..<(40 * 30) {
            #expect(decoded.pixels[3 * i] == decoded.pixels[3 * i + 1] && decoded.pixels[3 * i] == decoded.pixels[3 * i + 2])
        }
        #expect(meanAbsDiff(decoded.pixels, gray.pixels) < 4)
    }

    @Test func cmykJPEGBecomesRGB() throws {
        // Inverted CMYK (Adobe convention): C=200, M=100, Y=50, K=255 (no black) reads as RGB ≈ (200, 100, 50).
        let n = 16 * 16
        var cmyk = [UInt8](repeating: 0, count: n * 4)
        for i in 0..<n {
            cmyk[4 * i] = 200
            cmyk[4 * i + 1] = 100
            cmyk[4 * i + 2] = 50
            cmyk[4 * i + 3] = 255
        }
        let bytes = try JPEGCodec.encode(pixels: cmyk, width: 16, height: 16, cmyk: true, quality: 98)
        let decoded = try ImageDecoding.decode(bytes)
        let p = decoded[8, 8]
        #expect(abs(Int(p.r) - 200) <= 4 && abs(Int(p.g) - 100) <= 4 && abs(Int(p.b) - 50) <= 4)
    }

    @Test func pngGrayPaletteSixteenBitAndAlpha() throws {
        // Gray 8-bit.
        let grayBytes = try PNGCodec.encode(raw: [0, 128, 255, 7], width: 2, height: 2, format: 0)
        let gray = try ImageDecoding.decode(grayBytes)
        #expect(gray.pixels == [0, 0, 0, 128, 128, 128, 255, 255, 255, 7, 7, 7])
        // Palette (colour-mapped) image.
        let cmap: [UInt8] = [255, 0, 0, 0, 0, 255]
        let palBytes = try PNGCodec.encode(
            raw: [0, 1, 1, 0], width: 2, height: 2,
            format: PNGCodec.flagColor | PNGCodec.flagColormap, colormap: cmap, colormapEntries: 2)
        let pal = try ImageDecoding.decode(palBytes)
        #expect(pal.pixels == [255, 0, 0, 0, 0, 255, 0, 0, 255, 255, 0, 0])
        // 16-bit (linear) RGB: full and zero intensities map exactly.
        let samples: [UInt16] = [65535, 0, 0, 0, 65535, 65535]
        let raw16 = samples.withUnsafeBytes { Array($0) }
        let b16 = try PNGCodec.encode(raw: raw16, width: 2, height: 1, format: PNGCodec.flagColor | PNGCodec.flagLinear)
        let sixteen = try ImageDecoding.decode(b16)
        #expect(sixteen.pixels == [255, 0, 0, 0, 255, 255])
        // 16-bit with no colour chunk is sRGB-encoded like 8-bit data (as Pillow and OpenCV mean it): mid-tones
        // scale by 1/257, not through a linear-to-sRGB curve (which made 128·257 read as 186).
        let mid = rawPNG16(width: 2, height: 1, samples: [128 * 257, 64 * 257, 200 * 257, 10 * 257, 250 * 257, 0])
        #expect(try ImageDecoding.decode(mid).pixels == [128, 64, 200, 10, 250, 0])
        // RGBA: transparent → white, opaque kept, half alpha blended towards white.
        let rgba: [UInt8] = [0, 0, 0, 0, 10, 20, 30, 255, 0, 0, 0, 128]
        let aBytes = try PNGCodec.encode(raw: rgba, width: 3, height: 1, format: PNGCodec.flagColor | PNGCodec.flagAlpha)
        let alpha = try ImageDecoding.decode(aBytes)
        #expect(Array(alpha.pixels[0..<6]) == [255, 255, 255, 10, 20, 30])
        #expect(abs(Int(alpha.pixels[6]) - 127) <= 2)
    }

    @Test func bmpVariants() throws {
        let bottomUp = try ImageDecoding.decode(BMPDecoder.encode(image))
        #expect(bottomUp == image)
        let topDown = try ImageDecoding.decode(BMPDecoder.encode(image, topDown: true))
        #expect(topDown == image)
        // 8-bit palette, width 3 (rows padded to 4 bytes).
        let palette: [UInt8] = [10, 20, 30, 200, 100, 0]
        let bytes8 = BMPDecoder.write(width: 3, height: 2, bpp: 8, stride: 4, palette: palette, topDown: false) { y, row in
            for x in 0..<3 { row[x] = UInt8((x + y) % 2) }
        }
        let pal = try ImageDecoding.decode(bytes8)
        #expect(pal[0, 0] == (10, 20, 30) && pal[1, 0] == (200, 100, 0) && pal[0, 1] == (200, 100, 0))
        // 32-bit BGRX: a fourth byte that is 0 everywhere is no alpha.
        let bytes32 = BMPDecoder.write(width: 2, height: 1, bpp: 32, stride: 8, palette: [], topDown: false) { _, row in
            row.replaceSubrange(0..<8, with: [3, 2, 1, 0, 30, 20, 10, 0])
        }
        #expect(try ImageDecoding.decode(bytes32).pixels == [1, 2, 3, 10, 20, 30])
        // Cut short, or a 16-bit variant: specific errors, no crash.
        let full = BMPDecoder.encode(image)
        do {
            _ = try ImageDecoding.decode(Array(full.prefix(full.count / 2)))
            Issue.record("truncated BMP decoded")
        } catch {
            guard case .truncated(.bmp, _) = error else {
                Issue.record("expected .truncated(bmp), got \(error)")
                return
            }
        }
        var sixteen = full
        sixteen[28] = 16
        do {
            _ = try ImageDecoding.decode(sixteen)
            Issue.record("16-bit BMP decoded")
        } catch {
            guard case .unsupported(.bmp, _) = error else {
                Issue.record("expected .unsupported(bmp), got \(error)")
                return
            }
        }
        #expect(throws: ImageDecodingError.self) { try ImageDecoding.decode([0x42, 0x4D, 1, 2]) }
    }

    @Test func badInputsThrowSpecificErrors() throws {
        #expect(throws: ImageDecodingError.empty) { try ImageDecoding.decode([UInt8]()) }
        #expect(throws: ImageDecodingError.unknownFormat(firstBytes: Array("not an i".utf8))) {
            try ImageDecoding.decode(Array("not an image at all".utf8))
        }
        let jpeg = try ImageEncoding.jpeg(gradientImage(width: 64, height: 64))
        do {
            _ = try ImageDecoding.decode(Array(jpeg.prefix(jpeg.count * 2 / 3)))
            Issue.record("truncated JPEG decoded without error")
        } catch {
            guard case .truncated = error else {
                Issue.record("expected .truncated, got \(error)")
                return
            }
        }
        // With the option, the same truncated file decodes (missing rows filled by libjpeg).
        let lenient = try ImageDecoding.decode(Array(jpeg.prefix(jpeg.count * 2 / 3)), options: DecodeOptions(allowTruncatedJPEG: true))
        #expect(lenient.width == 64)
        // Broken CRC in the IDAT chunk.
        var png = try ImageEncoding.png(image)
        png[png.count - 12 - 1] ^= 0xFF  // last byte of IDAT's CRC (IEND is the final 12 bytes)
        do {
            _ = try ImageDecoding.decode(png)
            Issue.record("PNG with a broken CRC decoded without error")
        } catch {
            guard case .corrupt(.png, let detail) = error else {
                Issue.record("expected .corrupt(png), got \(error)")
                return
            }
            #expect(detail.lowercased().contains("crc"))
        }
    }

    @Test func bombGuardRefusesBeforeDecoding() throws {
        let options = DecodeOptions(maxPixels: 1000)
        for bytes in [try ImageEncoding.jpeg(image), try ImageEncoding.png(image), ImageEncoding.bmp(image)] {
            #expect(throws: ImageDecodingError.tooLarge(width: 40, height: 30, maxPixels: 1000)) {
                try ImageDecoding.decode(bytes, options: options)
            }
        }
        // A forged BMP header claiming 100000×100000 is refused without allocating 30 GB.
        var forged = ImageEncoding.bmp(image)
        for (offset, value) in [(18, 100_000), (22, 100_000)] {
            for k in 0..<4 { forged[offset + k] = UInt8(truncatingIfNeeded: value >> (8 * k)) }
        }
        #expect(throws: ImageDecodingError.tooLarge(width: 100_000, height: 100_000, maxPixels: 50_000_000)) {
            try ImageDecoding.decode(forged)
        }
    }

    @Test func headerReadsSizeOnly() throws {
        let h = try ImageDecoding.header(Data(try ImageEncoding.png(image)))
        #expect(h.format == .png && h.size == ImageSize(width: 40, height: 30))
        let j = try ImageDecoding.header(Data(try ImageEncoding.jpeg(image)))
        #expect(j.format == .jpeg && j.size == ImageSize(width: 40, height: 30))
    }

    @Test func fileErrorsNameThePath() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let missing = dir.file("nope.png")
        do {
            _ = try ImageDecoding.decode(contentsOf: missing)
            Issue.record("missing file decoded")
        } catch {
            #expect(error.path == missing.path)
            guard case .unreadable = error.reason else {
                Issue.record("expected .unreadable, got \(error.reason)")
                return
            }
        }
    }
}

@Suite struct DamagedJPEGTests {
    /// libjpeg warns and fills with grey what it cannot decode; only stray bytes between segments are harmless.
    @Test func damagedEntropyDataIsCorruptButStrayBytesBetweenSegmentsAreNot() throws {
        let jpeg = try ImageEncoding.jpeg(gradientImage(width: 160, height: 120), quality: 90)
        let sos = try #require((0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xDA })
        let dataStart = sos + 2 + Int(jpeg[sos + 2]) << 8 + Int(jpeg[sos + 3])
        var scrambled = jpeg
        var state: UInt32 = 12345
        for i in (dataStart + (jpeg.count - dataStart) / 3)..<(dataStart + (jpeg.count - dataStart) / 3 + 200) {
            state = state &* 1_103_515_245 &+ 12345
            scrambled[i] = UInt8(state >> 16 & 0x7F)  // never 0xFF: no marker is made, the EOI stays
        }
        do {
            let image = try ImageDecoding.decode(scrambled)
            Issue.record("a scrambled entropy segment decoded to a \(image.width)×\(image.height) image")
        } catch {
            guard case .corrupt(.jpeg, _) = error else {
                Issue.record("expected .corrupt(jpeg), got \(error)")
                return
            }
        }
        // Stray bytes between the image data and EOI: libjpeg warns, the image is whole.
        let beforeEOI = Array(jpeg.dropLast(2)) + [0x00, 0x11, 0x22, 0xFF, 0xD9]
        #expect(try ImageDecoding.decode(beforeEOI).pixels == ImageDecoding.decode(jpeg).pixels)
        // Stray bytes before the tables are refused: they may be what is left of a destroyed table.
        #expect(jpeg[2] == 0xFF && jpeg[3] == 0xE0)
        let app0End = 4 + Int(jpeg[4]) << 8 + Int(jpeg[5])
        let beforeTables = Array(jpeg[..<app0End]) + [0x00, 0x00] + Array(jpeg[app0End...])
        #expect(throws: ImageDecodingError.self) { try ImageDecoding.decode(beforeTables) }
    }
}

@Suite struct ScratchReuseTests {
    /// The per-thread decompressor and buffers give correct results after a failed decode.
    @Test func goodImageAfterBadOnesOnTheSameThread() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let good = gradientImage(width: 48, height: 36)
        let jpeg = try ImageEncoding.jpeg(good, quality: 95)
        let goodURL = dir.file("good.jpg")
        let truncatedURL = dir.file("cut.jpg")
        let corruptURL = dir.file("corrupt.jpg")
        try Data(jpeg).write(to: goodURL)
        try Data(jpeg.prefix(jpeg.count * 3 / 4)).write(to: truncatedURL)
        var corrupt = jpeg
        for i in 20..<60 { corrupt[i] = 0x00 }  // wreck the tables, keep the EOI
        try Data(corrupt).write(to: corruptURL)
        let options = PreprocessOptions(side: 30)  // too big for 1/2-scale decoding of 48×36
        let expected = try options.preprocess(goodURL).image
        #expect(expected == options.preprocess(try ImageDecoding.decode(contentsOf: goodURL)).image)
        for bad in [truncatedURL, corruptURL] {
            do {
                _ = try options.preprocess(bad)
                Issue.record("\(bad.lastPathComponent) decoded")
            } catch {
                #expect(error.path == bad.path)
            }
            #expect(try options.preprocess(goodURL).image == expected)
        }
    }
}
