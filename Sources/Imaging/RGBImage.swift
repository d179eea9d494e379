/// An 8-bit RGB image, pixels interleaved row by row (`R G B R G B …`), top row first.
///
/// `pixels.count == width * height * 3`.
public struct RGBImage: Sendable, Equatable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// Interleaved RGB bytes, `[height, width, 3]`.
    public var pixels: [UInt8]

    /// Wraps existing bytes; `pixels.count` must equal `width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(
            width >= 0 && height >= 0 && pixels.count == width * height * 3,
            "RGBImage: pixel buffer has \(pixels.count) bytes, expected \(width)×\(height)×3")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A `width`×`height` image filled with one colour.
    public init(width: Int, height: Int, fill: (r: UInt8, g: UInt8, b: UInt8) = (0, 0, 0)) {
        self.width = width
        self.height = height
        var p = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            p[3 * i] = fill.r
            p[3 * i + 1] = fill.g
            p[3 * i + 2] = fill.b
        }
        self.pixels = p
    }

    /// The pixel at column `x`, row `y` (both must be in range).
    public subscript(x: Int, y: Int) -> (r: UInt8, g: UInt8, b: UInt8) {
        get {
            let i = (y * width + x) * 3
            return (pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            let i = (y * width + x) * 3
            pixels[i] = newValue.r
            pixels[i + 1] = newValue.g
            pixels[i + 2] = newValue.b
        }
    }

    /// The sub-image `[x, x+w) × [y, y+h)`; the rectangle is clamped to the image.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> RGBImage {
        let x0 = max(0, min(x, width))
        let y0 = max(0, min(y, height))
        let x1 = max(x0, min(x + w, width))
        let y1 = max(y0, min(y + h, height))
        let cw = x1 - x0
        let ch = y1 - y0
        var out = [UInt8](repeating: 0, count: cw * ch * 3)
        for row in 0..<ch {
            let src = ((y0 + row) * width + x0) * 3
            out.replaceSubrange(row * cw * 3..<(row + 1) * cw * 3, with: pixels[src..<src + cw * 3])
        }
        return RGBImage(width: cw, height: ch, pixels: out)
    }
}

/// A width and a height in pixels.
public struct ImageSize: Sendable, Hashable, Codable, CustomStringConvertible {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
    /// A square size `side`×`side`.
    public init(side: Int) { self.init(width: side, height: side) }
    public var description: String { "\(width)x\(height)" }
}
