/// The unsafe inner loops of `Resize`.
///
/// Invariants (established by `Weights.init`, relied on without checks): for output `i`, the taps
/// `start[i] ..< start[i] + taps` lie inside `[0, inSize)`, and the `taps` weights of each output sum
/// to 1. The horizontal pass writes planar floats `[3, rows, outW]` into the thread's scratch.
enum Resampler {
    struct Weights: Sendable {
        let outSize: Int
        let taps: Int
        let start: [Int]
        let weights: [Float]
        /// Source rows/columns read by any output.
        let rowRange: Range<Int>

        /// Pillow's `precompute_coeffs` for the bilinear (triangle) filter, support 1 × max(scale, 1),
        /// mapping source interval `[in0, in1)` onto `outSize` pixels; taps may reach outside the
        /// interval (as in Pillow's `box`) but never outside `[0, inSize)`. `start` is absolute.
        /// Zero weights at either end are trimmed, so `taps` is the widest non-zero span.
        init(in0: Int, in1: Int, inSize: Int, outSize: Int) {
            let scale = Double(in1 - in0) / Double(outSize)
            let filterScale = max(scale, 1)
            let support = filterScale
            let window = Int(support.rounded(.up)) * 2 + 1
            var firsts = [Int](repeating: 0, count: outSize)
            var kernels = [[Double]](repeating: [], count: outSize)
            var taps = 1
            for xx in 0..<outSize {
                let center = Double(in0) + (Double(xx) + 0.5) * scale
                let xmin = max(0, Int(center - support + 0.5))
                let xmax = min(inSize, Int(center + support + 0.5))
                let n = min(max(0, xmax - xmin), window)
                var k = [Double](repeating: 0, count: n)
                var total = 0.0
                for x in 0..<n {
                    let t = abs((Double(x + xmin) - center + 0.5) / filterScale)
                    k[x] = t < 1 ? 1 - t : 0
                    total += k[x]
                }
                if total != 0 { for x in 0..<n { k[x] /= total } }
                // Trim zero weights at both ends.
                var lo = 0
                var hi = n
                while lo < hi && k[lo] == 0 { lo += 1 }
                while hi > lo && k[hi - 1] == 0 { hi -= 1 }
                if lo == hi {
                    lo = 0
                    hi = min(1, n)
                    if n == 0 {
                        k = [1]
                        hi = 1
                    }
                }
                kernels[xx] = Array(k[lo..<hi])
                firsts[xx] = min(xmin + lo, inSize - 1)
                taps = max(taps, hi - lo)
            }
            taps = min(taps, inSize)
            var start = [Int](repeating: 0, count: outSize)
            var weights = [Float](repeating: 0, count: outSize * taps)
            for xx in 0..<outSize {
                let s = max(0, min(firsts[xx], inSize - taps))
                start[xx] = s
                for (j, w) in kernels[xx].enumerated() where firsts[xx] + j - s < taps {
                    weights[xx * taps + firsts[xx] + j - s] = Float(w)
                }
            }
            self.outSize = outSize
            self.taps = taps
            self.start = start
            self.weights = weights
            self.rowRange = (start.min() ?? 0)..<((start.max() ?? 0) + taps)
        }
    }

    /// Horizontal pass over source rows `rows`: planar `[3, rows.count, outW]` floats (0…255) in scratch.
    static func horizontal(_ view: PixelView, weights hw: Weights, rows: Range<Int>, scratch: ThreadScratch) -> UnsafeMutablePointer<Float> {
        let outW = hw.outSize
        let inH = rows.count
        let plane = inH * outW
        let dst = scratch.floatBuffer(3 * plane + 3 * outW)
        let src = view.base
        let stride = view.width * 3
        let taps = hw.taps
        hw.start.withUnsafeBufferPointer { starts in
            hw.weights.withUnsafeBufferPointer { w in
                for y in 0..<inH {
                    let row = src + (rows.lowerBound + y) * stride
                    let o = y * outW
                    for x in 0..<outW {
                        var p = row + starts[x] * 3
                        var r: Float = 0
                        var g: Float = 0
                        var b: Float = 0
                        var wp = w.baseAddress! + x * taps
                        for _ in 0..<taps {
                            let wk = wp.pointee
                            r += wk * Float(p[0])
                            g += wk * Float(p[1])
                            b += wk * Float(p[2])
                            p += 3
                            wp += 1
                        }
                        dst[o + x] = r
                        dst[plane + o + x] = g
                        dst[2 * plane + o + x] = b
                    }
                }
            }
        }
        return dst
    }

    /// Vertical pass from the horizontal pass's planes into planar `[3, outH, width]`, times `scale`.
    static func verticalPlanar(
        _ tmp: UnsafeMutablePointer<Float>, weights vw: Weights, width: Int, firstRow: Int,
        scale: Float, out: UnsafeMutablePointer<Float>
    ) {
        let outH = vw.outSize
        let taps = vw.taps
        let tmpPlane = vw.rowRange.count * width
        let outPlane = outH * width
        vw.start.withUnsafeBufferPointer { starts in
            vw.weights.withUnsafeBufferPointer { w in
                for c in 0..<3 {
                    for y in 0..<outH {
                        let d = out + c * outPlane + y * width
                        let s0 = tmp + c * tmpPlane + (starts[y] - firstRow) * width
                        let w0 = w[y * taps] * scale
                        for x in 0..<width { d[x] = w0 * s0[x] }
                        for k in 1..<max(1, taps) {
                            let wk = w[y * taps + k] * scale
                            let s = s0 + k * width
                            for x in 0..<width { d[x] += wk * s[x] }
                        }
                    }
                }
            }
        }
    }

    /// Vertical pass straight into interleaved RGB8 (rounded to nearest, clamped), one output row at a time.
    static func verticalRGB8(
        _ tmp: UnsafeMutablePointer<Float>, weights vw: Weights, width: Int, firstRow: Int,
        out: UnsafeMutablePointer<UInt8>, scratch: ThreadScratch
    ) {
        let outH = vw.outSize
        let taps = vw.taps
        let tmpPlane = vw.rowRange.count * width
        // Row accumulators live right after the horizontal planes in the same scratch buffer.
        let acc = tmp + 3 * tmpPlane
        vw.start.withUnsafeBufferPointer { starts in
            vw.weights.withUnsafeBufferPointer { w in
                for y in 0..<outH {
                    for c in 0..<3 {
                        let d = acc + c * width
                        let s0 = tmp + c * tmpPlane + (starts[y] - firstRow) * width
                        let w0 = w[y * taps]
                        for x in 0..<width { d[x] = w0 * s0[x] }
                        for k in 1..<max(1, taps) {
                            let wk = w[y * taps + k]
                            let s = s0 + k * width
                            for x in 0..<width { d[x] += wk * s[x] }
                        }
                    }
                    // Round to nearest via the 1.5 × 2²³ trick: adding it leaves the rounded integer in the
                    // low mantissa bits (no checked Float → Int conversion in the loop). Ties go to even,
                    // unlike Pillow's half-up; the difference is at most 1 on exact .5 values.
                    let o = out + y * width * 3
                    let magic: Float = 12_582_912
                    for x in 0..<width {
                        o[3 * x] = UInt8(truncatingIfNeeded: (min(255, max(0, acc[x])) + magic).bitPattern)
                        o[3 * x + 1] = UInt8(truncatingIfNeeded: (min(255, max(0, acc[width + x])) + magic).bitPattern)
                        o[3 * x + 2] = UInt8(truncatingIfNeeded: (min(255, max(0, acc[2 * width + x])) + magic).bitPattern)
                    }
                }
            }
        }
    }
}
