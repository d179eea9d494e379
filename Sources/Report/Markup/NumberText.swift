import Foundation

/// Locale-independent number formatting for chart coordinates, tick labels and tables.
///
/// Written by hand (not `String(format:)`) so that output never depends on the process locale
/// and so that 10,000 scatter coordinates format quickly.
public enum NumberText {
    /// `value` with exactly `decimals` digits after the point (0...9), "-" never printed for zero.
    /// NaN prints as "NaN", infinities as "∞" / "-∞". Magnitudes ≥ 1e15 fall back to Swift's description.
    ///
    /// ```swift
    /// NumberText.fixed(3.14159, decimals: 2)   // "3.14"
    /// NumberText.fixed(-0.001, decimals: 2)    // "0.00"
    /// ```
    public static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "∞" : "-∞") }
        let d = min(max(decimals, 0), 9)
        var scale = 1.0
        for _ in 0..<d { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9.0e15 else { return "\(value)" }
        let units = UInt64(scaled)
        let divisor = UInt64(scale)
        let whole = units / divisor
        let fraction = units % divisor
        var text = (value < 0 && units != 0) ? "-" : ""
        text += String(whole)
        if d > 0 {
            let digits = String(fraction)
            text += "."
            text += String(repeating: "0", count: d - digits.count)
            text += digits
        }
        return text
    }

    /// A short human label for a value: integers without decimals, otherwise up to `significant` significant digits,
    /// trailing zeros removed, scientific notation for very large or very small magnitudes.
    public static func compact(_ value: Double, significant: Int = 4) -> String {
        guard value.isFinite else { return fixed(value, decimals: 0) }
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude >= 1e6 || magnitude < 1e-4 {
            return scientific(value, significant: significant)
        }
        if value == value.rounded() { return fixed(value, decimals: 0) }
        let exponent = Int(floorLog10(magnitude))
        let decimals = max(0, significant - 1 - exponent)
        return trimZeros(fixed(value, decimals: decimals))
    }

    /// `value` as a percentage of 1 with `decimals` digits: `percent(0.8567, decimals: 1)` is "85.7%".
    public static func percent(_ value: Double, decimals: Int = 1) -> String {
        guard value.isFinite else { return fixed(value, decimals: 0) }
        return fixed(value * 100, decimals: decimals) + "%"
    }

    /// Seconds as "850 ms", "12.3 s", "4 min 05 s" or "1 h 02 min".
    public static func duration(seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "–" }
        if seconds < 1 { return fixed(seconds * 1000, decimals: 0) + " ms" }
        if seconds < 60 { return fixed(seconds, decimals: 1) + " s" }
        let total = Int(seconds.rounded())
        if total < 3600 {
            return "\(total / 60) min " + twoDigits(total % 60) + " s"
        }
        return "\(total / 3600) h " + twoDigits((total % 3600) / 60) + " min"
    }

    /// An integer with thin grouping: 23508032 → "23,508,032".
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out += "," }
            out.append(character)
        }
        return value < 0 ? "-" + out : out
    }

    /// Labels for ticks spaced `step` apart: enough decimals to tell neighbours apart, no more.
    static func tickLabel(_ value: Double, step: Double) -> String {
        let magnitude = max(abs(value), abs(step))
        if magnitude >= 1e6 || (step > 0 && step < 1e-4) {
            return scientific(value, significant: 3)
        }
        let decimals = step > 0 ? max(0, -Int(floorLog10(step * 1.000_000_1))) : 0
        // A step of 0.25 needs two decimals although log10 says one.
        var d = decimals
        while d < 9 {
            var scale = 1.0
            for _ in 0..<d { scale *= 10 }
            let scaled = step * scale
            if abs(scaled - scaled.rounded()) < 1e-6 { break }
            d += 1
        }
        return fixed(value, decimals: d)
    }

    static func scientific(_ value: Double, significant: Int) -> String {
        guard value.isFinite, value != 0 else { return fixed(value, decimals: 0) }
        var exponent = Int(floorLog10(abs(value)))
        var mantissa = value / power10(exponent)
        let digits = max(0, significant - 1)
        // Rounding may carry to 10.0.
        if abs((mantissa * power10(digits)).rounded()) >= 10 * power10(digits) {
            exponent += 1
            mantissa = value / power10(exponent)
        }
        return trimZeros(fixed(mantissa, decimals: digits)) + "e" + String(exponent)
    }

    static func power10(_ exponent: Int) -> Double {
        pow(10.0, Double(exponent))
    }

    /// floor(log10(x)) for finite x > 0, corrected for rounding at exact powers of ten.
    static func floorLog10(_ x: Double) -> Double {
        var e = (log10(x)).rounded(.down)
        if pow(10.0, e + 1) <= x { e += 1 }
        if pow(10.0, e) > x { e -= 1 }
        return e
    }

    private static func trimZeros(_ text: String) -> String {
        guard text.contains(".") else { return text }
        var t = Substring(text)
        while t.last == "0" { t = t.dropLast() }
        if t.last == "." { t = t.dropLast() }
        return String(t)
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
