import Determinism
import Foundation
import Testing

@testable import Imaging

@Suite struct AugmentationTests {
    let side = 8
    var sample: [Float] {
        (0..<(3 * side * side)).map { Float(($0 * 37) % 101) / 100 }
    }

    func value(_ x: [Float], _ c: Int, _ px: Int, _ py: Int) -> Float { x[c * side * side + py * side + px] }

    @Test func noneIsIdentity() {
        var x = sample
        var rng = SeededGenerator(seed: 1)
        Augmentation.apply(to: &x, width: side, height: side, options: .none, rng: &rng)
        #expect(x == sample)
    }

    @Test func sameSeedSameResult() {
        var a = sample
        var b = sample
        var c = sample
        var r1 = SeededGenerator(seed: 9)
        var r2 = SeededGenerator(seed: 9)
        var r3 = SeededGenerator(seed: 10)
        Augmentation.apply(to: &a, width: side, height: side, options: AugmentationOptions(), rng: &r1)
        Augmentation.apply(to: &b, width: side, height: side, options: AugmentationOptions(), rng: &r2)
        Augmentation.apply(to: &c, width: side, height: side, options: AugmentationOptions(), rng: &r3)
        #expect(a == b)
        #expect(a != c)
    }

    @Test func horizontalFlipMirrorsExactly() {
        var options = AugmentationOptions.none
        options.horizontalFlip = true
        var flippedOnce = false
        for seed in 0..<20 as Range<UInt64> {
            var x = sample
            var rng = SeededGenerator(seed: seed)
            Augmentation.apply(to: &x, width: side, height: side, options: options, rng: &rng)
            if x == sample { continue }
            flippedOnce = true
            for c in 0..<3 {
                for py in 0..<side {
                    for px in 0..<side {
                        #expect(abs(value(x, c, px, py) - value(sample, c, side - 1 - px, py)) < 1e-5)
                    }
                }
            }
        }
        #expect(flippedOnce)
    }

    @Test func quarterTurnsAreRotations() {
        var options = AugmentationOptions.none
        options.rotate90 = true
        let s = sample
        for seed in 0..<12 as Range<UInt64> {
            var x = s
            var rng = SeededGenerator(seed: seed)
            Augmentation.apply(to: &x, width: side, height: side, options: options, rng: &rng)
            // Must equal one of the four rotations of the original.
            func rotated(_ k: Int) -> [Float] {
                var out = s
                for c in 0..<3 {
                    for py in 0..<side {
                        for px in 0..<side {
                            var (sx, sy) = (px, py)
                            for _ in 0..<k { (sx, sy) = (sy, side - 1 - sx) }
                            out[c * side * side + py * side + px] = value(s, c, sx, sy)
                        }
                    }
                }
                return out
            }
            let matches = (0..<4).contains { k in zip(rotated(k), x).allSatisfy { abs($0 - $1) < 1e-5 } }
            #expect(matches, "seed \(seed)")
        }
    }

    @Test func rotationUsesReflectionNotBlackFill() {
        var options = AugmentationOptions.none
        options.maxRotationDegrees = 45
        options.maxScale = 0.1
        options.maxShift = 0.1
        var x = [Float](repeating: 0.7, count: 3 * 16 * 16)
        var rng = SeededGenerator(seed: 4)
        Augmentation.apply(to: &x, width: 16, height: 16, options: options, rng: &rng)
        #expect(x.allSatisfy { abs($0 - 0.7) < 1e-5 })
        #expect(Augmentation.reflect(-1, 5) == 1 && Augmentation.reflect(5, 5) == 3 && Augmentation.reflect(2.5, 5) == 2.5)
    }

    @Test func colourJitterStaysInRangeAndChangesValues() {
        var options = AugmentationOptions.none
        options.brightness = 0.5
        options.contrast = 0.5
        options.saturation = 0.5
        var x = sample
        var rng = SeededGenerator(seed: 2)
        Augmentation.apply(to: &x, width: side, height: side, options: options, rng: &rng)
        #expect(x != sample)
        #expect(x.allSatisfy { $0 >= 0 && $0 <= 1 })
        // Saturation 0 makes every pixel grey.
        var grey = sample
        Augmentation.jitterColour(&grey, plane: side * side, brightness: 1, contrast: 1, saturation: 0)
        for i in 0..<(side * side) {
            #expect(abs(grey[i] - grey[side * side + i]) < 1e-5 && abs(grey[i] - grey[2 * side * side + i]) < 1e-5)
        }
    }

    @Test func gaussianNoiseHasTheRequestedSigma() {
        var x = [Float](repeating: 0, count: 20_000)
        var rng = SeededGenerator(seed: 8)
        Augmentation.addNoise(to: &x, sigma: 0.2, rng: &rng)
        let mean = x.reduce(0, +) / Float(x.count)
        let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(x.count)
        #expect(abs(mean) < 0.01)
        #expect(abs(variance.squareRoot() - 0.2) < 0.01)
        #expect(AugmentationOptions().noiseSigma == 0.2)
    }

    @Test func optionsRoundTripThroughJSON() throws {
        var o = AugmentationOptions()
        o.maxRotationDegrees = 7
        let data = try JSONEncoder().encode(o)
        #expect(try JSONDecoder().decode(AugmentationOptions.self, from: data) == o)
    }
}
