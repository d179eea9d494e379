/// Uncompressed BMP (24/32-bit, 8-bit palette; bottom-up or top-down) parsed in Swift.
/// Every read is bounds-checked against the data, so a damaged file throws instead of crashing.
///
/// Alpha is composited on white, as PNG's: a 32-bit file's alpha mask (V4/V5 headers, BI_ALPHABITFIELDS), or
/// the fourth byte of plain 32-bit pixels when any pixel sets it (writers that mean no alpha leave it 0; this
/// is how browsers read them, while Pillow and Windows ignore that byte).
enum BMPDecoder {
    struct Header {
        var size: ImageSize
        var topDown: Bool
        var bitsPerPixel: Int
        var compression: UInt32
        var pixelOffset: Int
        var dibSize: Int
        var paletteCount: Int
        var masks: (r: UInt32, g: UInt32, b: UInt32)?
        /// The alpha bits of a 32-bit pixel when the header declares them (0 = none declared).
        var alphaMask: UInt32 = 0
    }

    private static func u16(_ b: UnsafeBufferPointer<UInt8>, _ o: Int) -> UInt32? {
        guard o >= 0, o + 2 <= b.count else { return nil }
        return UInt32(b[o]) | UInt32(b[o + 1]) << 8
    }

    private static func u32(_ b: UnsafeBufferPointer<UInt8>, _ o: Int) -> UInt32? {
        guard o >= 0, o + 4 <= b.count else { return nil }
        return UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
    }

    static func header(_ b: UnsafeBufferPointer<UInt8>) throws(ImageDecodingError) -> Header {
        guard let offset = u32(b, 10), let dib = u32(b, 14) else { throw .truncated(format: .bmp, detail: "file header is incomplete") }
        guard dib >= 40 else { throw .unsupported(format: .bmp, detail: "OS/2 core header (\(dib) bytes)") }
        guard let w = u32(b, 18), let h = u32(b, 22), let bpp = u16(b, 28), let compression = u32(b, 30),
            let colorsUsed = u32(b, 46)
        else { throw .truncated(format: .bmp, detail: "info header is incomplete") }
        let width = Int(Int32(bitPattern: w))
        let rawHeight = Int(Int32(bitPattern: h))
        guard width > 0, rawHeight != 0 else { throw .corrupt(format: .bmp, detail: "header gives size \(width)x\(rawHeight)") }
        var masks: (UInt32, UInt32, UInt32)? = nil
        var alphaMask: UInt32 = 0
        switch (bpp, compression) {
        case (8, 0), (24, 0), (32, 0): break
        case (32, 3), (32, 6):
            // BI_BITFIELDS: masks follow a 40-byte header, or sit inside a V4/V5 header at the same place; the
            // alpha mask follows them in V4/V5 headers (56 bytes and more) and with BI_ALPHABITFIELDS (6).
            guard let r = u32(b, 54), let g = u32(b, 58), let bl = u32(b, 62) else {
                throw .truncated(format: .bmp, detail: "bit-field masks are missing")
            }
            masks = (r, g, bl)
            if dib >= 56 || compression == 6 {
                guard let a = u32(b, 66) else { throw .truncated(format: .bmp, detail: "the alpha mask is missing") }
                alphaMask = a
            }
            for (name, mask) in [("red", r), ("green", g), ("blue", bl), ("alpha", alphaMask)] where !isContiguous(mask) {
                throw .corrupt(format: .bmp, detail: "the \(name) bit-field mask 0x\(String(mask, radix: 16)) is not one run of bits")
            }
        default:
            throw .unsupported(format: .bmp, detail: "\(bpp)-bit, compression \(compression)")
        }
        let paletteCount = bpp == 8 ? (colorsUsed == 0 ? 256 : Int(min(colorsUsed, 256))) : 0
        return Header(
            size: ImageSize(width: width, height: abs(rawHeight)), topDown: rawHeight < 0,
            bitsPerPixel: Int(bpp), compression: compression, pixelOffset: Int(offset),
            dibSize: Int(dib), paletteCount: paletteCount, masks: masks, alphaMask: alphaMask)
    }

    static func decode(_ b: UnsafeBufferPointer<UInt8>, maxPixels: Int) throws(ImageDecodingError) -> RGBImage {
        let hd = try header(b)
        let width = hd.size.width
        let height = hd.size.height
        try ImageDecoding.checkBomb(width: width, height: height, maxPixels: maxPixels)
        let stride = ((hd.bitsPerPixel * width + 31) / 32) * 4
        let needed = hd.pixelOffset + stride * (height - 1) + (hd.bitsPerPixel * width + 7) / 8
        guard hd.pixelOffset >= 14 + 40, needed <= b.count else {
            throw .truncated(format: .bmp, detail: "pixel data needs \(needed) bytes, file has \(b.count)")
        }
        var palette = [UInt8](repeating: 0, count: 256 * 3)
        if hd.bitsPerPixel == 8 {
            let start = 14 + hd.dibSize
            guard start + hd.paletteCount * 4 <= b.count else { throw .truncated(format: .bmp, detail: "palette is incomplete") }
            for i in 0..<hd.paletteCount {
                palette[3 * i] = b[start + 4 * i + 2]
                palette[3 * i + 1] = b[start + 4 * i + 1]
                palette[3 * i + 2] = b[start + 4 * i]
            }
        }
        // Plain 32-bit pixels carry alpha in their fourth byte only if some pixel sets it.
        var fourthByteIsAlpha = false
        if hd.bitsPerPixel == 32 && hd.masks == nil {
            outer: for y in 0..<height {
                let row = hd.pixelOffset + y * stride
                for x in 0..<width where b[row + 4 * x + 3] != 0 {
                    fourthByteIsAlpha = true
                    break outer
                }
            }
        }
        var out = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            let srcRow = hd.pixelOffset + (hd.topDown ? y : height - 1 - y) * stride
            let dstRow = y * width * 3
            switch hd.bitsPerPixel {
            case 8:
                for x in 0..<width {
                    let index = Int(b[srcRow + x])
                    out[dstRow + 3 * x] = palette[3 * index]
                    out[dstRow + 3 * x + 1] = palette[3 * index + 1]
                    out[dstRow + 3 * x + 2] = palette[3 * index + 2]
                }
            case 24:
                for x in 0..<width {
                    let s = srcRow + 3 * x
                    out[dstRow + 3 * x] = b[s + 2]
                    out[dstRow + 3 * x + 1] = b[s + 1]
                    out[dstRow + 3 * x + 2] = b[s]
                }
            default:  // 32-bit
                if let m = hd.masks {
                    for x in 0..<width {
                        let v =
                            UInt32(b[srcRow + 4 * x]) | UInt32(b[srcRow + 4 * x + 1]) << 8
                            | UInt32(b[srcRow + 4 * x + 2]) << 16 | UInt32(b[srcRow + 4 * x + 3]) << 24
                        let a = hd.alphaMask == 0 ? 255 : extract(v, hd.alphaMask)
                        out[dstRow + 3 * x] = ImageDecoding.onWhite(extract(v, m.r), alpha: a)
                        out[dstRow + 3 * x + 1] = ImageDecoding.onWhite(extract(v, m.g), alpha: a)
                        out[dstRow + 3 * x + 2] = ImageDecoding.onWhite(extract(v, m.b), alpha: a)
                    }
                } else {
                    for x in 0..<width {
                        let s = srcRow + 4 * x
                        let a = fourthByteIsAlpha ? b[s + 3] : 255
                        out[dstRow + 3 * x] = ImageDecoding.onWhite(b[s + 2], alpha: a)
                        out[dstRow + 3 * x + 1] = ImageDecoding.onWhite(b[s + 1], alpha: a)
                        out[dstRow + 3 * x + 2] = ImageDecoding.onWhite(b[s], alpha: a)
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// Whether the set bits of `mask` are one run (or none), as every bit-field mask must be.
    static func isContiguous(_ mask: UInt32) -> Bool {
        let bits = mask >> mask.trailingZeroBitCount
        return mask == 0 || bits & (bits &+ 1) == 0
    }

    /// The channel selected by `mask` (one run of bits, `isContiguous`), scaled to 8 bits.
    private static func extract(_ v: UInt32, _ mask: UInt32) -> UInt8 {
        guard mask != 0 else { return 0 }
        let shift = mask.trailingZeroBitCount
        let bits = (mask >> shift).nonzeroBitCount
        let value = (v & mask) >> shift
        if bits >= 8 { return UInt8(truncatingIfNeeded: value >> (bits - 8)) }
        let maxValue = (UInt32(1) << bits) - 1
        return UInt8((value * 255 + maxValue / 2) / maxValue)
    }

    /// Writes a BMP (used by tests to create fixtures): 24-bit, or 8-bit with a palette of RGB triples.
    static func encode(_ image: RGBImage, topDown: Bool = false) -> [UInt8] {
        let stride = ((24 * image.width + 31) / 32) * 4
        return write(width: image.width, height: image.height, bpp: 24, stride: stride, palette: [], topDown: topDown) { y, row in
            for x in 0..<image.width {
                let p = image[x, y]
                row[3 * x] = p.b
                row[3 * x + 1] = p.g
                row[3 * x + 2] = p.r
            }
        }
    }

    static func write(
        width: Int, height: Int, bpp: Int, stride: Int, palette: [UInt8], topDown: Bool,
        fillRow: (Int, inout [UInt8]) -> Void
    ) -> [UInt8] {
        let paletteBytes = palette.count / 3 * 4
        let offset = 14 + 40 + paletteBytes
        var out = [UInt8]()
        func le32(_ v: Int) { for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * k))) } }
        func le16(_ v: Int) { for k in 0..<2 { out.append(UInt8(truncatingIfNeeded: v >> (8 * k))) } }
        out += [0x42, 0x4D]
        le32(offset + stride * height)
        le32(0)
        le32(offset)
        le32(40)
        le32(width)
        le32(topDown ? -height : height)
        le16(1)
        le16(bpp)
        le32(0)
        le32(stride * height)
        le32(2835)
        le32(2835)
        le32(palette.count / 3)
        le32(0)
        for i in 0..<(palette.count / 3) { out += [palette[3 * i + 2], palette[3 * i + 1], palette[3 * i], 0] }
        var row = [UInt8](repeating: 0, count: stride)
        var rows = [[UInt8]](repeating: [], count: height)
        for y in 0..<height {
            for k in 0..<stride { row[k] = 0 }
            fillRow(y, &row)
            rows[y] = row
        }
        for i in 0..<height { out += rows[topDown ? i : height - 1 - i] }
        return out
    }
}
