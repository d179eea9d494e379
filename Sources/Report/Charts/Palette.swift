/// Colour-blind-safe colours for chart series and groups.
///
/// The first eight are Okabe & Ito's palette ("Color Universal Design", 2008), reordered so that the
/// first few differ most and with black replaced by a dark grey; the next seven come from Tableau's
/// colour-blind-10 palette. After fifteen groups the colours repeat, so charts with more groups also
/// show the group name in tooltips and legends.
public enum Palette {
    /// Hex RGB colours, `#RRGGBB`.
    public static let categorical: [String] = [
        "#0072B2",  // blue
        "#E69F00",  // orange
        "#009E73",  // bluish green
        "#D55E00",  // vermillion
        "#CC79A7",  // reddish purple
        "#56B4E9",  // sky blue
        "#F0E442",  // yellow
        "#4D4D4D",  // dark grey (Okabe–Ito black, softened)
        "#A2C8EC",  // light blue (Tableau CB)
        "#FFBC79",  // light orange (Tableau CB)
        "#5F9ED1",  // mid blue (Tableau CB)
        "#C85200",  // dark orange (Tableau CB)
        "#898989",  // grey (Tableau CB)
        "#006BA4",  // deep blue (Tableau CB)
        "#CFCFCF",  // light grey (Tableau CB)
    ]

    /// Colour for group `index` (any integer; negative indices wrap too).
    public static func color(_ index: Int) -> String {
        let n = categorical.count
        return categorical[((index % n) + n) % n]
    }

    /// A sequential white-to-blue ramp for heatmaps: `fraction` 0 → near white, 1 → dark blue.
    /// Non-finite or out-of-range fractions are clamped.
    public static func sequential(_ fraction: Double) -> String {
        let t = fraction.isFinite ? min(max(fraction, 0), 1) : 0
        // Interpolate #F7FBFF → #08306B (the ends of ColorBrewer's "Blues").
        let from = (0xF7, 0xFB, 0xFF)
        let to = (0x08, 0x30, 0x6B)
        func mix(_ a: Int, _ b: Int) -> Int { Int((Double(a) + (Double(b) - Double(a)) * t).rounded()) }
        return hex(mix(from.0, to.0), mix(from.1, to.1), mix(from.2, to.2))
    }

    /// Whether text on `sequential(fraction)` should be white rather than dark.
    static func needsLightText(onSequential fraction: Double) -> Bool {
        fraction.isFinite && fraction > 0.55
    }

    static func hex(_ r: Int, _ g: Int, _ b: Int) -> String {
        let digits = Array("0123456789ABCDEF")
        var out = "#"
        for component in [r, g, b] {
            let c = min(max(component, 0), 255)
            out.append(digits[c / 16])
            out.append(digits[c % 16])
        }
        return out
    }
}
