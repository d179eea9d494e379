/// Conversions between float32 and the 16-bit float formats stored in checkpoints.
///
/// Exact for every input: all float16 and bfloat16 values are representable in float32
/// (subnormals, ±0, ±infinity and NaN included; NaN payload bits are kept where they fit).
public enum FloatBits {
    /// IEEE 754 binary16 bits (1 sign, 5 exponent, 10 fraction) → float32.
    public static func float(fromFloat16Bits h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        let fraction = UInt32(h & 0x03FF)
        if exponent == 0x1F {  // infinity or NaN: all-ones exponent, fraction shifted into place
            return Float(bitPattern: sign | 0x7F80_0000 | (fraction << 13))
        }
        if exponent != 0 {  // normal: rebias 15 → 127
            return Float(bitPattern: sign | ((exponent + 112) << 23) | (fraction << 13))
        }
        if fraction == 0 { return Float(bitPattern: sign) }  // ±0
        // Subnormal: value = fraction × 2⁻²⁴, exact in float32.
        let magnitude = Float(fraction) * Float(bitPattern: 0x3380_0000)  // 2⁻²⁴
        return sign == 0 ? magnitude : -magnitude
    }

    /// bfloat16 bits (the upper half of a float32) → float32.
    public static func float(fromBFloat16Bits b: UInt16) -> Float {
        Float(bitPattern: UInt32(b) << 16)
    }

    /// float32 → binary16 bits, rounding to nearest even; overflow gives ±infinity, NaN stays NaN.
    public static func float16Bits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        let fraction = bits & 0x007F_FFFF
        if exponent == 0xFF {
            return sign | 0x7C00 | (fraction != 0 ? UInt16(0x0200 | (fraction >> 13)) : 0)
        }
        let unbiased = exponent - 127
        if unbiased > 15 { return sign | 0x7C00 }
        if unbiased >= -14 {  // normal half: keep 10 fraction bits, round the 13 dropped ones
            let mantissa = UInt32(unbiased + 15) << 10 | (fraction >> 13)
            let rounded = roundShifted(mantissa, dropped: fraction & 0x1FFF, halfway: 0x1000)
            return sign | UInt16(rounded)  // a carry into the exponent (or to infinity) is correct
        }
        if unbiased < -25 { return sign }  // below half the smallest subnormal: ±0
        // Subnormal half: shift the full significand (with its implicit 1) right.
        let significand = fraction | 0x0080_0000
        let shift = UInt32(-unbiased - 14 + 13)  // 14…24
        let kept = significand >> shift
        let dropped = significand & ((1 << shift) - 1)
        return sign | UInt16(roundShifted(kept, dropped: dropped, halfway: 1 << (shift - 1)))
    }

    /// float32 → bfloat16 bits, rounding to nearest even; NaN stays NaN.
    public static func bfloat16Bits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x0040 }
        let rounded = roundShifted(bits >> 16, dropped: bits & 0xFFFF, halfway: 0x8000)
        return UInt16(truncatingIfNeeded: rounded)
    }

    @inline(__always)
    private static func roundShifted(_ kept: UInt32, dropped: UInt32, halfway: UInt32) -> UInt32 {
        if dropped > halfway || (dropped == halfway && kept & 1 == 1) { return kept + 1 }
        return kept
    }
}
