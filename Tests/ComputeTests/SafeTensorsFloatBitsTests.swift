import Determinism
import Testing

@testable import Compute

@Suite("float16 / bfloat16 conversions")
struct SafeTensorsFloatBitsTests {
    #if !(os(macOS) && arch(x86_64))
        @Test func everyFloat16BitPatternMatchesSwiftsFloat16() {
            for bits in 0...UInt16.max {
                let ours = FloatBits.float(fromFloat16Bits: bits)
                let native = Float(Float16(bitPattern: bits))
                if native.isNaN {
                    #expect(ours.isNaN, "bits \(bits)")
                } else if ours.bitPattern != native.bitPattern {
                    Issue.record("0x\(String(bits, radix: 16)): \(ours) vs \(native)")
                }
            }
        }

        @Test func float32ToFloat16RoundsLikeSwiftsFloat16() {
            var rng = SeededGenerator(seed: 5)
            for _ in 0..<20_000 {
                // Spread exponents over the whole float16 range and beyond (subnormals, overflow).
                let value = Float(
                    bitPattern: UInt32(truncatingIfNeeded: rng.next()) & 0x807F_FFFF
                        | UInt32(rng.nextInt(below: 60) + 97) << 23)
                let ours = FloatBits.float16Bits(from: value)
                #expect(ours == Float16(value).bitPattern, "\(value)")
            }
        }
    #endif

    @Test func specialFloat16Values() {
        #expect(FloatBits.float(fromFloat16Bits: 0x0001) == Float(bitPattern: 0x3380_0000))  // 2⁻²⁴
        #expect(FloatBits.float(fromFloat16Bits: 0x03FF) == 1023 * Float(bitPattern: 0x3380_0000))
        #expect(FloatBits.float(fromFloat16Bits: 0x8000).bitPattern == (-0.0 as Float).bitPattern)
        #expect(FloatBits.float(fromFloat16Bits: 0x7BFF) == 65504)
        #expect(FloatBits.float(fromFloat16Bits: 0x7C00) == .infinity)
        #expect(FloatBits.float(fromFloat16Bits: 0xFC00) == -.infinity)
        #expect(FloatBits.float(fromFloat16Bits: 0x7E00).isNaN)
        #expect(FloatBits.float16Bits(from: 70000) == 0x7C00)
        #expect(FloatBits.float16Bits(from: .nan) & 0x7C00 == 0x7C00 && FloatBits.float16Bits(from: .nan) & 0x03FF != 0)
    }

    @Test func bfloat16RoundTripsAndRounds() {
        for bits in stride(from: 0, through: Int(UInt16.max), by: 1) {
            let b = UInt16(bits)
            let f = FloatBits.float(fromBFloat16Bits: b)
            if f.isNaN {
                #expect(FloatBits.bfloat16Bits(from: f) & 0x7F80 == 0x7F80)
                continue
            }
            #expect(FloatBits.bfloat16Bits(from: f) == b)
        }
        #expect(FloatBits.bfloat16Bits(from: Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie → even
        #expect(FloatBits.bfloat16Bits(from: Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // tie → even (up)
        #expect(FloatBits.bfloat16Bits(from: Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(FloatBits.float(fromBFloat16Bits: 0x0001) == Float(bitPattern: 0x0001_0000))  // subnormal
    }
}
