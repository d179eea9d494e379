/// How a JPEG's stored pixels must be turned to be seen upright: the EXIF orientation tag (TIFF tag 0x0112 in
/// the APP1 "Exif" segment) that phones and some scanners write instead of rotating the pixels. Values and
/// meaning as in the EXIF 2.3 specification (and Pillow's `ImageOps.exif_transpose`).
public enum ExifOrientation: UInt16, Sendable, CaseIterable {
    case up = 1
    case mirrored = 2
    case rotated180 = 3
    case flippedVertically = 4
    /// Mirrored across the main diagonal.
    case transposed = 5
    /// Stored rotated a quarter turn anticlockwise: shown after a quarter turn clockwise.
    case rotatedClockwise = 6
    /// Mirrored across the anti-diagonal.
    case transversed = 7
    /// Stored rotated a quarter turn clockwise: shown after a quarter turn anticlockwise.
    case rotatedAnticlockwise = 8

    /// Whether width and height trade places.
    public var swapsSides: Bool { rawValue >= 5 }

    /// The orientation a JPEG stream declares, `nil` when it has no EXIF orientation (or an unreadable one).
    /// Reads the markers before the first scan only; every read is bounds-checked.
    static func read(jpeg b: UnsafeBufferPointer<UInt8>) -> ExifOrientation? {
        guard b.count >= 4, b[0] == 0xFF, b[1] == 0xD8 else { return nil }
        var p = 2
        while p + 4 <= b.count, b[p] == 0xFF {
            let marker = b[p + 1]
            if marker == 0xFF {  // fill byte
                p += 1
                continue
            }
            if marker == 0xDA || marker == 0xD9 { return nil }  // start of scan, end of image
            let length = Int(b[p + 2]) << 8 | Int(b[p + 3])
            guard length >= 2, p + 2 + length <= b.count else { return nil }
            if marker == 0xE1, let o = fromExif(UnsafeBufferPointer(rebasing: b[(p + 4)..<(p + 2 + length)])) { return o }
            p += 2 + length
        }
        return nil
    }

    /// The orientation in an APP1 payload ("Exif\0\0", then a TIFF header and IFD0).
    private static func fromExif(_ s: UnsafeBufferPointer<UInt8>) -> ExifOrientation? {
        guard s.count >= 14, Array(s[0..<6]) == [0x45, 0x78, 0x69, 0x66, 0, 0] else { return nil }
        let tiff = UnsafeBufferPointer(rebasing: s[6...])
        let little: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ o: Int) -> Int? {
            guard o >= 0, o + 2 <= tiff.count else { return nil }
            return little ? Int(tiff[o]) | Int(tiff[o + 1]) << 8 : Int(tiff[o]) << 8 | Int(tiff[o + 1])
        }
        func u32(_ o: Int) -> Int? {
            guard let a = u16(o), let b = u16(o + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard u16(2) == 42, let ifd = u32(4), let entries = u16(ifd) else { return nil }
        for e in 0..<entries {
            let entry = ifd + 2 + 12 * e
            guard let tag = u16(entry) else { return nil }
            guard tag == 0x0112 else { continue }
            guard u16(entry + 2) == 3, let value = u16(entry + 8) else { return nil }  // SHORT
            return ExifOrientation(rawValue: UInt16(value))
        }
        return nil
    }

    /// `image` as it is meant to be seen.
    public func apply(to image: RGBImage) -> RGBImage {
        if self == .up { return image }
        let (w, h) = (image.width, image.height)
        let (outW, outH) = swapsSides ? (h, w) : (w, h)
        var out = [UInt8](repeating: 0, count: image.pixels.count)
        image.pixels.withUnsafeBufferPointer { src in
            for y in 0..<outH {
                for x in 0..<outW {
                    let (sx, sy) = source(x, y, width: w, height: h)
                    let (d, s) = (3 * (y * outW + x), 3 * (sy * w + sx))
                    out[d] = src[s]
                    out[d + 1] = src[s + 1]
                    out[d + 2] = src[s + 2]
                }
            }
        }
        return RGBImage(width: outW, height: outH, pixels: out)
    }

    /// The stored pixel shown at (x, y) of the upright image, for a stored image of `width` × `height`.
    private func source(_ x: Int, _ y: Int, width w: Int, height h: Int) -> (Int, Int) {
        switch self {
        case .up: return (x, y)
        case .mirrored: return (w - 1 - x, y)
        case .rotated180: return (w - 1 - x, h - 1 - y)
        case .flippedVertically: return (x, h - 1 - y)
        case .transposed: return (y, x)
        case .rotatedClockwise: return (y, h - 1 - x)
        case .transversed: return (w - 1 - y, h - 1 - x)
        case .rotatedAnticlockwise: return (w - 1 - y, x)
        }
    }
}
