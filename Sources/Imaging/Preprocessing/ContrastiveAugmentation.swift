import Determinism
import Foundation

/// The strong, seeded augmentation of a cell crop that contrastive pretraining makes two views from
/// (SimCLR's recipe, adapted to blood smears): any rotation, a horizontal flip, a random resized crop, colour
/// jitter (brightness, contrast, saturation, a little hue: eosinophil against neutrophil is partly a colour
/// cue), stain jitter in haematoxylin–eosin–DAB space (Tellez et al. 2018), and a mild Gaussian blur.
///
/// ```swift
/// var rng = SeededGenerator.derived(seed: 7, stream: UInt64(index))
/// let view = ContrastiveAugmentation().apply(chw, side: 64, rng: &rng)   // values in [0, 1]
/// ```
public struct ContrastiveAugmentation: Sendable, Codable, Equatable {
    /// The crop's smallest share of the image's area (the largest is 1).
    public var minimumScale: Float = 0.5
    /// Brightness, contrast and saturation factors are drawn from 1 ± these.
    public var brightness: Float = 0.4
    public var contrast: Float = 0.4
    public var saturation: Float = 0.4
    /// Hue shift, as a fraction of the colour circle (± this).
    public var hue: Float = 0.02
    /// The chance that the colour jitter is applied at all.
    public var jitterProbability: Float = 0.8
    /// Stain jitter: each of the H, E and D channels of the optical density becomes d·(1 + α) + β, α, β ∈ ±this.
    public var stain: Float = 0.03
    public var blurProbability: Float = 0.5
    /// Blur σ in pixels is drawn from [0.1, this].
    public var maximumBlurSigma: Float = 1.0

    public init() {}

    /// A new view of `chw` (`[3, side, side]`, values in [0, 1]). A fixed number of draws is made whatever the
    /// outcome, so the same generator state always gives the same view.
    public func apply(_ chw: [Float], side s: Int, rng: inout SeededGenerator) -> [Float] {
        guard chw.count == 3 * s * s, s > 1 else { return chw }
        let u = (0..<14).map { _ in rng.nextUniform() }
        // Geometry: crop of area share `scale` and aspect `ratio`, turned by any angle, maybe mirrored.
        let scale = minimumScale + (1 - minimumScale) * u[0]
        let ratio = Float(exp(Double((u[1] * 2 - 1) * log(4.0 / 3.0))))
        let cropW = min(1, (scale * ratio).squareRoot()), cropH = min(1, (scale / ratio).squareRoot())
        let angle = u[2] * 2 * Float.pi
        let flip: Float = u[3] < 0.5 ? -1 : 1
        let (cs, sn) = (Float(cos(Double(angle))), Float(sin(Double(angle))))
        let (zx, zy) = (flip / cropW, 1 / cropH)
        let m = (cs * zx, -sn * zy, sn * zx, cs * zy)
        // The crop's centre, anywhere the crop fits, goes to the output's centre.
        let ox = (u[4] * 2 - 1) * (1 - cropW) * Float(s) / 2, oy = (u[5] * 2 - 1) * (1 - cropH) * Float(s) / 2
        var out = Augmentation.warp(chw, width: s, height: s, matrix: m, shift: (-(m.0 * ox + m.1 * oy), -(m.2 * ox + m.3 * oy)))
        let plane = s * s
        if u[6] < jitterProbability {
            Augmentation.jitterColour(
                &out, plane: plane, brightness: 1 + (u[7] * 2 - 1) * brightness, contrast: 1 + (u[8] * 2 - 1) * contrast,
                saturation: 1 + (u[9] * 2 - 1) * saturation)
            Self.shiftHue(&out, plane: plane, by: (u[10] * 2 - 1) * hue)
        }
        var stainRng = SeededGenerator(seed: UInt64(u[11] * 16_777_216))
        Self.jitterStain(&out, plane: plane, amount: stain, rng: &stainRng)
        if u[12] < blurProbability { out = Self.blur(out, side: s, sigma: 0.1 + (maximumBlurSigma - 0.1) * u[13]) }
        return out
    }

    /// Rotates each pixel's chroma in YIQ space by `turns` of the colour circle.
    static func shiftHue(_ x: inout [Float], plane: Int, by turns: Float) {
        guard turns != 0 else { return }
        let (c, s) = (Float(cos(Double(turns) * 2 * .pi)), Float(sin(Double(turns) * 2 * .pi)))
        for p in 0..<plane {
            let (r, g, b) = (x[p], x[plane + p], x[2 * plane + p])
            let y = 0.299 * r + 0.587 * g + 0.114 * b
            let i0 = 0.596 * r - 0.274 * g - 0.322 * b, q0 = 0.211 * r - 0.523 * g + 0.312 * b
            let i = c * i0 - s * q0, q = s * i0 + c * q0
            x[p] = min(1, max(0, y + 0.956 * i + 0.621 * q))
            x[plane + p] = min(1, max(0, y - 0.272 * i - 0.647 * q))
            x[2 * plane + p] = min(1, max(0, y - 1.106 * i + 1.703 * q))
        }
    }

    /// Ruifrok & Johnston's stain vectors (haematoxylin, eosin, DAB) as rows, and their inverse.
    static let stainMatrix: [[Float]] = [[0.65, 0.70, 0.29], [0.07, 0.99, 0.11], [0.27, 0.57, 0.78]]
    static let stainInverse: [[Float]] = invert3(stainMatrix)

    /// Scales and shifts each stain's optical density by 1 + α and β, α, β ∈ ±`amount`.
    static func jitterStain(_ x: inout [Float], plane: Int, amount: Float, rng: inout SeededGenerator) {
        let alpha = (0..<3).map { _ in 1 + (rng.nextUniform() * 2 - 1) * amount }
        let beta = (0..<3).map { _ in (rng.nextUniform() * 2 - 1) * amount }
        guard amount > 0 else { return }
        let (m, inv) = (stainMatrix, stainInverse)
        for p in 0..<plane {
            let r = -logf(max(x[p], 1e-6)), g = -logf(max(x[plane + p], 1e-6)), b = -logf(max(x[2 * plane + p], 1e-6))
            var h = r * inv[0][0] + g * inv[1][0] + b * inv[2][0]
            var e = r * inv[0][1] + g * inv[1][1] + b * inv[2][1]
            var d = r * inv[0][2] + g * inv[1][2] + b * inv[2][2]
            h = h * alpha[0] + beta[0]; e = e * alpha[1] + beta[1]; d = d * alpha[2] + beta[2]
            for c in 0..<3 { x[c * plane + p] = min(1, max(0, expf(-(h * m[0][c] + e * m[1][c] + d * m[2][c])))) }
        }
    }

    static func invert3(_ m: [[Float]]) -> [[Float]] {
        let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
        func c(_ r: Int, _ k: Int) -> Float {
            let rows = (0..<3).filter { $0 != r }, cols = (0..<3).filter { $0 != k }
            let minor = m[rows[0]][cols[0]] * m[rows[1]][cols[1]] - m[rows[0]][cols[1]] * m[rows[1]][cols[0]]
            return ((r + k) % 2 == 0 ? 1 : -1) * minor
        }
        return (0..<3).map { i in (0..<3).map { j in c(j, i) / det } }
    }

    /// A separable Gaussian blur (σ in pixels, radius ⌈2σ⌉, edges clamped).
    static func blur(_ x: [Float], side s: Int, sigma: Float) -> [Float] {
        let radius = max(1, Int((2 * sigma).rounded(.up)))
        var kernel = (-radius...radius).map { expf(-Float($0 * $0) / (2 * sigma * sigma)) }
        let total = kernel.reduce(0, +)
        kernel = kernel.map { $0 / total }
        var tmp = x, out = x
        let plane = s * s
        for c in 0..<3 {
            for y in 0..<s {
                for xx in 0..<s {
                    var acc: Float = 0
                    for (k, w) in kernel.enumerated() { acc += w * x[c * plane + y * s + min(s - 1, max(0, xx + k - radius))] }
                    tmp[c * plane + y * s + xx] = acc
                }
            }
            for y in 0..<s {
                for xx in 0..<s {
                    var acc: Float = 0
                    for (k, w) in kernel.enumerated() { acc += w * tmp[c * plane + min(s - 1, max(0, y + k - radius)) * s + xx] }
                    out[c * plane + y * s + xx] = acc
                }
            }
        }
        return out
    }
}
