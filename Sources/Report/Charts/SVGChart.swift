/// Charts as self-contained SVG strings: no JavaScript, no external fonts or files.
///
/// Each function returns one `<svg>` element (with `xmlns`, a `viewBox`, a `<title>`, and a white
/// background) that can be written to a `.svg` file or inlined in HTML. Every data-derived string is
/// XML-escaped; long names are truncated with "…" on the chart and shown in full in `<title>` tooltips.
/// Colours come from ``Palette`` (colour-blind-safe). Sizes are in CSS pixels.
///
/// Elements carry classes that tests and stylesheets can rely on: `bar`, `series`, `point`, `points`,
/// `cell`, `hist-bar`, `thumb`, `legend-item`, `empty-note`.
///
/// ```swift
/// let svg = SVGChart.bar(title: "Cell types", bars: [BarDatum(label: "NEUTROPHIL", value: 207)],
///                        yLabel: "Images")
/// try svg.write(toFile: "types.svg", atomically: true, encoding: .utf8)
/// ```
public enum SVGChart {
    /// Scatter plots with at most this many points draw one `<circle>` with a tooltip per point;
    /// larger ones draw one `<path>` per group (see ``scatter(title:points:groupNames:xLabel:yLabel:width:height:)``).
    public static let individualPointLimit = 2_000
    /// For scatter plots drawn as paths, at most this many points (an even stride through the input) get tooltips.
    public static let sampledTooltipLimit = 400

    /// About one tick per 60 px of axis, between 3 and 8.
    static func tickCount(forPixels length: Double) -> Int {
        guard length.isFinite else { return 6 }
        return min(8, max(3, Int(length / 60)))
    }
}
