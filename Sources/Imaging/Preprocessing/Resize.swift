/// A rectangle of pixels inside an image, `[x, x+width) × [y, y+height)`.
public struct CropRect: Sendable, Codable, Hashable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
    /// The whole of an image of `size`.
    public init(size: ImageSize) { self.init(x: 0, y: 0, width: size.width, height: size.height) }
    /// This rectangle intersected with `[0, size.width) × [0, size.height)`; at least 1×1.
    public func clamped(to size: ImageSize) -> CropRect {
        let x0 = max(0, min(x, size.width - 1))
        let y0 = max(0, min(y, size.height - 1))
        let x1 = max(x0 + 1, min(x + width, size.width))
        let y1 = max(y0 + 1, min(y + height, size.height))
        return CropRect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }
    public var description: String { "\(width)x\(height)+\(x)+\(y)" }
}

/// Bilinear resizing, antialiased when shrinking, matching Pillow's `Image.resize(size, BILINEAR)`
/// (and its `box` argument): a separable triangle filter whose support grows with the shrink factor
/// (so every source pixel contributes), horizontal pass first, then vertical.
///
/// ```swift
/// let small = Resize.rgb8(image, to: ImageSize(side: 224))           // RGBImage 224×224
/// let chw = Resize.chw(image, to: ImageSize(side: 224))              // [3, 224, 224] floats in [0, 1]
/// ```
public enum Resize {
    /// Resizes `region` (default: the whole image) to `size`, RGB8 out (rounded, clamped).
    /// An empty source gives a black image.
    public static func rgb8(_ image: RGBImage, to size: ImageSize, region: CropRect? = nil) -> RGBImage {
        image.pixels.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, image.width > 0, image.height > 0 else {
                return RGBImage(width: max(1, size.width), height: max(1, size.height))
            }
            return rgb8(PixelView(base: base, width: image.width, height: image.height), to: size, region: region)
        }
    }

    /// Resizes `region` (default: the whole image) to `size`, planar float out: `[3, height, width]`,
    /// values scaled to [0, 1] (not rounded to 8 bits). An empty source gives zeros.
    public static func chw(_ image: RGBImage, to size: ImageSize, region: CropRect? = nil) -> [Float] {
        image.pixels.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, image.width > 0, image.height > 0 else {
                return [Float](repeating: 0, count: 3 * max(1, size.width) * max(1, size.height))
            }
            return chw(PixelView(base: base, width: image.width, height: image.height), to: size, region: region)
        }
    }

    /// The planar `[3, H, W]` floats in [0, 1] of an RGB8 image, without resizing.
    public static func chw(_ image: RGBImage) -> [Float] {
        let n = image.width * image.height
        return image.pixels.withUnsafeBufferPointer { src in
            [Float](unsafeUninitializedCapacity: 3 * n) { dst, count in
                for i in 0..<n {
                    dst[i] = Float(src[3 * i]) / 255
                    dst[n + i] = Float(src[3 * i + 1]) / 255
                    dst[2 * n + i] = Float(src[3 * i + 2]) / 255
                }
                count = 3 * n
            }
        }
    }

    static func rgb8(_ view: PixelView, to size: ImageSize, region: CropRect?) -> RGBImage {
        let outW = max(1, size.width)
        let outH = max(1, size.height)
        let scratch = ThreadScratch.current
        let (hw, vw) = weights(view, outW: outW, outH: outH, region: region, scratch: scratch)
        let tmp = Resampler.horizontal(view, weights: hw, rows: vw.rowRange, scratch: scratch)
        let pixels = [UInt8](unsafeUninitializedCapacity: 3 * outW * outH) { out, count in
            Resampler.verticalRGB8(tmp, weights: vw, width: outW, firstRow: vw.rowRange.lowerBound, out: out.baseAddress!, scratch: scratch)
            count = 3 * outW * outH
        }
        return RGBImage(width: outW, height: outH, pixels: pixels)
    }

    static func chw(_ view: PixelView, to size: ImageSize, region: CropRect?) -> [Float] {
        let outW = max(1, size.width)
        let outH = max(1, size.height)
        let scratch = ThreadScratch.current
        let (hw, vw) = weights(view, outW: outW, outH: outH, region: region, scratch: scratch)
        let tmp = Resampler.horizontal(view, weights: hw, rows: vw.rowRange, scratch: scratch)
        return [Float](unsafeUninitializedCapacity: 3 * outW * outH) { out, count in
            Resampler.verticalPlanar(tmp, weights: vw, width: outW, firstRow: vw.rowRange.lowerBound, scale: 1 / 255, out: out.baseAddress!)
            count = 3 * outW * outH
        }
    }

    private static func weights(
        _ view: PixelView, outW: Int, outH: Int, region: CropRect?, scratch: ThreadScratch
    )
        -> (Resampler.Weights, Resampler.Weights)
    {
        let box = (region ?? CropRect(size: view.size)).clamped(to: view.size)
        return (
            scratch.weights(in0: box.x, in1: box.x + box.width, inSize: view.width, outSize: outW),
            scratch.weights(in0: box.y, in1: box.y + box.height, inSize: view.height, outSize: outH)
        )
    }
}
