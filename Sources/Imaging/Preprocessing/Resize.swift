/// A rectangle of pixels inside an image, `[x, x+width) × [y, y+height)`.
public struct CropRect: Sendable, Codable, Hashable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
    /// The whole of an image of `size`.
    public init(size: ImageSize) { self.init(x: 0, y: 0, width: size.width, height: size.height) }
    /// This rectangle intersected with `[0, size.width) × [0, size.height)`; at least 1×1.
    public func clamped(to size: ImageSize) -> CropRect {
        let x0 = max(0, min(x, size.width - 1)), y0 = max(0, min(y, size.height - 1))
        let x1 = max(x0 + 1, min(x + width, size.width)), y1 = max(y0 + 1, min(y + height, size.height))
        return CropRect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }
    public var description: String { "\(width)x\(height)+\(x)+\(y)" }
}

/// Bilinear resizing, antialiased when shrinking, matching Pillow's `Image.resize(size, BILINEAR)`:
/// a separable triangle filter whose support grows with the shrink factor (so every source pixel
/// contributes), horizontal pass first, then vertical.
///
/// ```swift
/// let small = Resize.rgb8(image, to: ImageSize(side: 224))           // RGBImage 224×224
/// let chw = Resize.chw(image, to: ImageSize(side: 224))              // [3, 224, 224] floats in [0, 1]
/// ```
public enum Resize {
    /// Resizes `region` (default: the whole image) to `size`, RGB8 out (rounded, clamped).
    public static func rgb8(_ image: RGBImage, to size: ImageSize, region: CropRect? = nil) -> RGBImage {
        let planes = resample(image, to: size, region: region, scale: 1)
        return RGBImage(width: size.width, height: size.height, pixels: Resampler.interleaveRounded(planes, pixelCount: size.width * size.height))
    }

    /// Resizes `region` (default: the whole image) to `size`, planar float out: `[3, height, width]`,
    /// values scaled to [0, 1] (not rounded to 8 bits).
    public static func chw(_ image: RGBImage, to size: ImageSize, region: CropRect? = nil) -> [Float] {
        resample(image, to: size, region: region, scale: 1 / 255)
    }

    /// The planar `[3, height, width]` floats in [0, 1] of an RGB8 image, without resizing.
    public static func chw(_ image: RGBImage) -> [Float] {
        let n = image.width * image.height
        var out = [Float](repeating: 0, count: 3 * n)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n {
                    dst[i] = Float(src[3 * i]) * (1 / 255)
                    dst[n + i] = Float(src[3 * i + 1]) * (1 / 255)
                    dst[2 * n + i] = Float(src[3 * i + 2]) * (1 / 255)
                }
            }
        }
        return out
    }

    static func resample(_ image: RGBImage, to size: ImageSize, region: CropRect?, scale: Float) -> [Float] {
        let box = (region ?? CropRect(size: ImageSize(width: image.width, height: image.height)))
            .clamped(to: ImageSize(width: image.width, height: image.height))
        let outW = max(1, size.width), outH = max(1, size.height)
        let horizontal = Resampler.Weights(in0: box.x, in1: box.x + box.width, inSize: image.width, outSize: outW)
        let vertical = Resampler.Weights(in0: box.y, in1: box.y + box.height, inSize: image.height, outSize: outH)
        return Resampler.run(image, box: box, horizontal: horizontal, vertical: vertical, scale: scale)
    }
}

/// The unsafe inner loops of `Resize`. Invariants: for output `i`, taps `start[i] ..< start[i] + taps`
/// lie inside the source (`start[i] + taps <= inSize`), and the `taps` weights of each output sum to 1.
enum Resampler {
    struct Weights {
        let outSize: Int
        let taps: Int
        let start: [Int]
        let weights: [Float]

        /// Pillow's `precompute_coeffs` for the bilinear (triangle) filter, support 1 × max(scale, 1),
        /// mapping source interval `[in0, in1)` onto `outSize` pixels; taps may reach outside the
        /// interval (as in Pillow's `box`) but never outside `[0, inSize)`. `start` is absolute.
        init(in0: Int, in1: Int, inSize: Int, outSize: Int) {
            let scale = Double(in1 - in0) / Double(outSize)
            let filterScale = max(scale, 1)
            let support = filterScale
            let taps = min(Int(support.rounded(.up)) * 2 + 1, inSize)
            var start = [Int](repeating: 0, count: outSize)
            var weights = [Float](repeating: 0, count: outSize * taps)
            var k = [Double](repeating: 0, count: Int(support.rounded(.up)) * 2 + 1)
            for xx in 0..<outSize {
                let center = Double(in0) + (Double(xx) + 0.5) * scale
                let xmin = max(0, Int(center - support + 0.5))
                let xmax = min(inSize, Int(center + support + 0.5))
                let n = min(max(0, xmax - xmin), k.count)
                var total = 0.0
                for x in 0..<n {
                    let t = abs((Double(x + xmin) - center + 0.5) / filterScale)
                    k[x] = t < 1 ? 1 - t : 0
                    total += k[x]
                }
                let s = max(0, min(xmin, inSize - taps))
                start[xx] = s
                for x in 0..<n where xmin + x - s < taps {
                    weights[xx * taps + xmin + x - s] = Float(total != 0 ? k[x] / total : 0)
                }
            }
            self.outSize = outSize
            self.taps = taps
            self.start = start
            self.weights = weights
        }
    }

    /// Horizontal pass into planar floats `[3, box.height, outW]`, then vertical pass into `[3, outH, outW]`,
    /// multiplied by `scale`.
    static func run(_ image: RGBImage, box: CropRect, horizontal hw: Weights, vertical vw: Weights, scale: Float) -> [Float] {
        let outW = hw.outSize, outH = vw.outSize
        // Only the source rows the vertical pass reads go through the horizontal pass.
        let firstRow = vw.start.min() ?? 0
        let inH = (vw.start.max() ?? 0) + vw.taps - firstRow
        let tmpPlane = inH * outW
        var tmp = [Float](repeating: 0, count: 3 * tmpPlane)
        let stride = image.width * 3
        image.pixels.withUnsafeBufferPointer { src in
            tmp.withUnsafeMutableBufferPointer { dst in
                hw.start.withUnsafeBufferPointer { starts in
                    hw.weights.withUnsafeBufferPointer { w in
                        let taps = hw.taps
                        for y in 0..<inH {
                            let row = (firstRow + y) * stride
                            let o = y * outW
                            for x in 0..<outW {
                                var p = row + starts[x] * 3
                                var r: Float = 0, g: Float = 0, b: Float = 0
                                let wb = x * taps
                                for k in 0..<taps {
                                    let wk = w[wb + k]
                                    r += wk * Float(src[p])
                                    g += wk * Float(src[p + 1])
                                    b += wk * Float(src[p + 2])
                                    p += 3
                                }
                                dst[o + x] = r
                                dst[tmpPlane + o + x] = g
                                dst[2 * tmpPlane + o + x] = b
                            }
                        }
                    }
                }
            }
        }
        let outPlane = outH * outW
        var out = [Float](repeating: 0, count: 3 * outPlane)
        tmp.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                vw.start.withUnsafeBufferPointer { starts in
                    vw.weights.withUnsafeBufferPointer { w in
                        let taps = vw.taps
                        for c in 0..<3 {
                            for y in 0..<outH {
                                let d = c * outPlane + y * outW
                                for k in 0..<taps {
                                    let wk = w[y * taps + k] * scale
                                    if wk == 0 { continue }
                                    let s = c * tmpPlane + (starts[y] - firstRow + k) * outW
                                    for x in 0..<outW { dst[d + x] += wk * src[s + x] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Planar floats in 0…255 → interleaved RGB8, rounded half up and clamped.
    static func interleaveRounded(_ planes: [Float], pixelCount n: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 3 * n)
        planes.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n {
                    for c in 0..<3 {
                        let v = src[c * n + i] + 0.5
                        dst[3 * i + c] = v <= 0 ? 0 : (v >= 255 ? 255 : UInt8(v))
                    }
                }
            }
        }
        return out
    }
}
