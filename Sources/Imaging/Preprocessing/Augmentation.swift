import Determinism

#if canImport(Glibc)
    import Glibc
#else
    import Foundation
#endif

/// Training augmentation settings; every draw comes from the `SeededGenerator` passed in.
///
/// Defaults: flips and 90° rotations on, arbitrary rotation up to ±20° with reflection padding,
/// scale in [0.9, 1.1], shift up to ±5 % of the side, brightness/contrast/saturation factors in
/// [0.9, 1.1], Gaussian noise σ = 0.2 on the normalised input (the denoising corruption).
public struct AugmentationOptions: Sendable, Codable, Equatable {
    /// Mirror left–right with probability 0.5 (default on).
    public var horizontalFlip: Bool
    /// Mirror top–bottom with probability 0.5 (default on).
    public var verticalFlip: Bool
    /// Rotate by 0/90/180/270° uniformly (square images only; default on).
    public var rotate90: Bool
    /// Extra rotation drawn uniformly in ±this many degrees, reflection-padded (default 20; 0 = off).
    public var maxRotationDegrees: Float
    /// Scale drawn uniformly in [1 − s, 1 + s] (default 0.1; 0 = off).
    public var maxScale: Float
    /// Shift in x and y drawn uniformly in ±this share of the side (default 0.05; 0 = off).
    public var maxShift: Float
    /// Brightness factor in [1 − b, 1 + b] (default 0.1).
    public var brightness: Float
    /// Contrast factor in [1 − c, 1 + c] around the image's mean grey (default 0.1).
    public var contrast: Float
    /// Saturation factor in [1 − s, 1 + s] around each pixel's grey (default 0.1).
    public var saturation: Float
    /// σ of the additive Gaussian noise on normalised values (default 0.2; applied by `addNoise`).
    public var noiseSigma: Float

    public init(
        horizontalFlip: Bool = true, verticalFlip: Bool = true, rotate90: Bool = true,
        maxRotationDegrees: Float = 20, maxScale: Float = 0.1, maxShift: Float = 0.05,
        brightness: Float = 0.1, contrast: Float = 0.1, saturation: Float = 0.1, noiseSigma: Float = 0.2
    ) {
        self.horizontalFlip = horizontalFlip
        self.verticalFlip = verticalFlip
        self.rotate90 = rotate90
        self.maxRotationDegrees = maxRotationDegrees
        self.maxScale = maxScale
        self.maxShift = maxShift
        self.brightness = brightness
        self.contrast = contrast
        self.saturation = saturation
        self.noiseSigma = noiseSigma
    }

    /// Everything off (identity), noise 0.
    public static let none = AugmentationOptions(
        horizontalFlip: false, verticalFlip: false, rotate90: false,
        maxRotationDegrees: 0, maxScale: 0, maxShift: 0,
        brightness: 0, contrast: 0, saturation: 0, noiseSigma: 0)
}

/// Seeded augmentation of planar `[3, H, W]` images.
///
/// ```swift
/// var rng = SeededGenerator.derived(seed: 7, stream: UInt64(index))
/// Augmentation.apply(to: &chw, width: 224, height: 224, options: .init(), rng: &rng)   // values in [0, 1]
/// try normalization.apply(to: &chw)
/// Augmentation.addNoise(to: &chw, sigma: 0.2, rng: &rng)                                 // noisy input copy
/// ```
public enum Augmentation {
    /// Geometric then colour augmentation of `chw` (values in [0, 1], before normalisation), in place.
    /// The same generator state always gives the same result. Ten draws are made per call whatever
    /// the options, so switching one option off does not change the others' draws.
    public static func apply(
        to chw: inout [Float], width: Int, height: Int, options: AugmentationOptions,
        rng: inout SeededGenerator
    ) {
        guard chw.count == 3 * width * height, width > 0, height > 0 else { return }
        let flipH = rng.nextUniform() < 0.5
        let flipV = rng.nextUniform() < 0.5
        let quarter = rng.nextInt(below: 4)
        let angleU = rng.nextUniform() * 2 - 1
        let scaleU = rng.nextUniform() * 2 - 1
        let shiftXU = rng.nextUniform() * 2 - 1
        let shiftYU = rng.nextUniform() * 2 - 1
        let brightU = rng.nextUniform() * 2 - 1
        let contrastU = rng.nextUniform() * 2 - 1
        let satU = rng.nextUniform() * 2 - 1

        // Forward transform on centred coordinates: flips, then quarter turns, then rotation/scale, then shift.
        var a: Float = 1
        var b: Float = 0
        var c: Float = 0
        var d: Float = 1  // [[a b] [c d]]
        if options.horizontalFlip && flipH {
            a = -a
            c = -c
        }
        if options.verticalFlip && flipV {
            b = -b
            d = -d
        }
        if options.rotate90 && width == height && quarter > 0 {
            for _ in 0..<quarter { (a, b, c, d) = (-c, -d, a, b) }  // multiply by [[0 -1] [1 0]]
        }
        let angle = angleU * options.maxRotationDegrees * Float.pi / 180
        let scale = 1 + scaleU * options.maxScale
        if angle != 0 || scale != 1 {
            let cs = Float(cos(Double(angle))) * scale
            let sn = Float(sin(Double(angle))) * scale
            (a, b, c, d) = (cs * a - sn * c, cs * b - sn * d, sn * a + cs * c, sn * b + cs * d)
        }
        let tx = shiftXU * options.maxShift * Float(width)
        let ty = shiftYU * options.maxShift * Float(height)
        let isIdentity = a == 1 && b == 0 && c == 0 && d == 1 && tx == 0 && ty == 0
        if !isIdentity {
            chw = warp(chw, width: width, height: height, matrix: (a, b, c, d), shift: (tx, ty))
        }
        jitterColour(
            &chw, plane: width * height,
            brightness: 1 + brightU * options.brightness,
            contrast: 1 + contrastU * options.contrast,
            saturation: 1 + satU * options.saturation)
    }

    /// Adds N(0, σ²) noise to every value, in place (use on normalised values; σ = 0 does nothing).
    public static func addNoise(to values: inout [Float], sigma: Float, rng: inout SeededGenerator) {
        guard sigma > 0 else { return }
        for i in values.indices { values[i] += sigma * rng.nextGaussian() }
    }

    /// Reflects a continuous pixel-centre coordinate into [0, n − 1] (mirror without repeating the edge).
    static func reflect(_ f: Float, _ n: Int) -> Float {
        guard n > 1 else { return 0 }
        let period = Float(2 * (n - 1))
        var r = fmodf(abs(f), period)
        if r > Float(n - 1) { r = period - r }
        return r
    }

    /// Inverse-maps each output pixel through the forward transform `p' = M p + t` (centred
    /// coordinates) and samples the source bilinearly with reflection padding.
    static func warp(
        _ src: [Float], width w: Int, height h: Int, matrix m: (Float, Float, Float, Float),
        shift t: (Float, Float)
    ) -> [Float] {
        let det = m.0 * m.3 - m.1 * m.2
        guard abs(det) > 1e-6 else { return src }
        let ia = m.3 / det
        let ib = -m.1 / det
        let ic = -m.2 / det
        let id = m.0 / det
        let plane = w * h
        var out = [Float](repeating: 0, count: 3 * plane)
        let cx = Float(w) / 2
        let cy = Float(h) / 2
        for y in 0..<h {
            for x in 0..<w {
                let u = Float(x) + 0.5 - cx - t.0
                let v = Float(y) + 0.5 - cy - t.1
                let sx = reflect(ia * u + ib * v + cx - 0.5, w)
                let sy = reflect(ic * u + id * v + cy - 0.5, h)
                let x0 = min(Int(sx), w - 1)
                let y0 = min(Int(sy), h - 1)
                let x1 = min(x0 + 1, w - 1)
                let y1 = min(y0 + 1, h - 1)
                let fx = sx - Float(x0)
                let fy = sy - Float(y0)
                for c in 0..<3 {
                    let base = c * plane
                    let top = src[base + y0 * w + x0] * (1 - fx) + src[base + y0 * w + x1] * fx
                    let bottom = src[base + y1 * w + x0] * (1 - fx) + src[base + y1 * w + x1] * fx
                    out[base + y * w + x] = top * (1 - fy) + bottom * fy
                }
            }
        }
        return out
    }

    /// Brightness (scale), contrast (around the mean grey) and saturation (around each pixel's grey),
    /// as torchvision's ColorJitter does them, clamped to [0, 1].
    static func jitterColour(_ x: inout [Float], plane: Int, brightness: Float, contrast: Float, saturation: Float) {
        if brightness == 1 && contrast == 1 && saturation == 1 { return }
        var greySum: Float = 0
        for i in 0..<plane {
            for c in 0..<3 { x[c * plane + i] = min(1, max(0, x[c * plane + i] * brightness)) }
            greySum += 0.299 * x[i] + 0.587 * x[plane + i] + 0.114 * x[2 * plane + i]
        }
        let meanGrey = greySum / Float(plane)
        for i in 0..<plane {
            var r = x[i]
            var g = x[plane + i]
            var b = x[2 * plane + i]
            r = min(1, max(0, meanGrey + contrast * (r - meanGrey)))
            g = min(1, max(0, meanGrey + contrast * (g - meanGrey)))
            b = min(1, max(0, meanGrey + contrast * (b - meanGrey)))
            let grey = 0.299 * r + 0.587 * g + 0.114 * b
            x[i] = min(1, max(0, grey + saturation * (r - grey)))
            x[plane + i] = min(1, max(0, grey + saturation * (g - grey)))
            x[2 * plane + i] = min(1, max(0, grey + saturation * (b - grey)))
        }
    }
}
