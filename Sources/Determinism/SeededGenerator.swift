/// A seeded, reproducible random number generator (xoshiro256**, seeded through SplitMix64).
///
/// Every random draw in wbc-cluster comes from one of these, passed in explicitly, so that the
/// same seed gives the same numbers on every machine.
///
/// ```swift
/// var rng = SeededGenerator(seed: 42)
/// let u = rng.nextUniform()        // Float in [0, 1)
/// let g = rng.nextGaussian()       // standard normal
/// ```
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    private var spareGaussian: Float? = nil

    /// Creates a generator whose whole stream is fixed by `seed`.
    public init(seed: UInt64) {
        var sm = seed
        func splitMix() -> UInt64 {
            sm &+= 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix()
        s1 = splitMix()
        s2 = splitMix()
        s3 = splitMix()
    }

    /// An independent generator for stream `index` (e.g. one per image or per worker), derived from this seed.
    public static func derived(seed: UInt64, stream index: UInt64) -> SeededGenerator {
        SeededGenerator(seed: seed &* 0x2545_F491_4F6C_DD1D &+ index &* 0x9E37_79B9_7F4A_7C15 &+ 1)
    }

    @inlinable
    static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// Uniform Float in [0, 1), 24 random bits.
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform Double in [0, 1), 53 random bits.
    public mutating func nextUniformDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform integer in 0..<n (n > 0), without modulo bias.
    public mutating func nextInt(below n: Int) -> Int {
        precondition(n > 0, "nextInt(below:) needs a positive bound")
        return Int(next(upperBound: UInt64(n)))
    }

    /// Standard normal sample (Box–Muller; the second value of each pair is kept for the next call).
    public mutating func nextGaussian() -> Float {
        if let g = spareGaussian {
            spareGaussian = nil
            return g
        }
        var u1 = nextUniformDouble()
        while u1 <= .leastNonzeroMagnitude { u1 = nextUniformDouble() }
        let u2 = nextUniformDouble()
        let r = (-2.0 * _log(u1)).squareRoot()
        let theta = 2.0 * Double.pi * u2
        spareGaussian = Float(r * _sin(theta))
        return Float(r * _cos(theta))
    }

    /// Fisher–Yates shuffle driven by this generator.
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            let j = nextInt(below: i + 1)
            if i != j { array.swapAt(i, j) }
        }
    }
}

#if canImport(Glibc)
    import Glibc
    @usableFromInline func _log(_ x: Double) -> Double { Glibc.log(x) }
    @usableFromInline func _sin(_ x: Double) -> Double { Glibc.sin(x) }
    @usableFromInline func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
    import Foundation
    @usableFromInline func _log(_ x: Double) -> Double { Foundation.log(x) }
    @usableFromInline func _sin(_ x: Double) -> Double { Foundation.sin(x) }
    @usableFromInline func _cos(_ x: Double) -> Double { Foundation.cos(x) }
#endif
