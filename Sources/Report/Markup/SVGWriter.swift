/// Builds one SVG document as a string. Every attribute value and text passes through ``XMLText/escape(_:)``;
/// only ``raw(_:)`` and path data (built from numbers) bypass it.
struct SVGWriter {
    /// Average glyph width as a fraction of the font size, for laying out labels without font metrics.
    static let glyphWidth = 0.6
    static let fontFamily = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif"

    let width: Double
    let height: Double
    private var body = ""

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
        body.reserveCapacity(4096)
    }

    /// Estimated rendered width of `text` at `fontSize` px.
    static func textWidth(_ text: String, fontSize: Double) -> Double {
        Double(text.count) * fontSize * glyphWidth
    }

    /// The finished document: root element, accessible title, white background, then the body.
    func document(title: String, cssClass: String) -> String {
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"\(XMLText.escape(cssClass))\""
        out += " viewBox=\"0 0 \(coord(width)) \(coord(height))\" width=\"\(coord(width))\" height=\"\(coord(height))\""
        out += " font-family=\"\(XMLText.escape(Self.fontFamily))\" font-size=\"12\" role=\"img\">"
        out += "<title>\(XMLText.escape(title))</title>"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>"
        out += body
        out += "</svg>"
        return out
    }

    /// Appends markup verbatim; the caller guarantees it is well-formed and escaped.
    mutating func raw(_ markup: String) { body += markup }

    /// `<name a="v" ...>`
    mutating func open(_ name: String, _ attributes: KeyValuePairs<String, String> = [:]) {
        body += "<" + name
        appendAttributes(attributes)
        body += ">"
    }

    mutating func close(_ name: String) { body += "</" + name + ">" }

    /// A childless element, or one holding only a `<title>` tooltip.
    mutating func element(_ name: String, _ attributes: KeyValuePairs<String, String>, tooltip: String? = nil) {
        body += "<" + name
        appendAttributes(attributes)
        if let tooltip {
            body += "><title>" + XMLText.escape(tooltip) + "</title></" + name + ">"
        } else {
            body += "/>"
        }
    }

    /// A `<text>` element. `rotate` is in degrees about the anchor point.
    mutating func text(
        _ content: String, x: Double, y: Double, anchor: String = "start", size: Double = 12,
        weight: String? = nil, fill: String = "#222222", rotate: Double? = nil, tooltip: String? = nil,
        cssClass: String? = nil, baseline: String? = nil
    ) {
        body += "<text x=\"\(coord(x))\" y=\"\(coord(y))\""
        if anchor != "start" { body += " text-anchor=\"\(anchor)\"" }
        if size != 12 { body += " font-size=\"\(coord(size))\"" }
        if let weight { body += " font-weight=\"\(weight)\"" }
        body += " fill=\"\(fill)\""
        if let rotate { body += " transform=\"rotate(\(coord(rotate)) \(coord(x)) \(coord(y)))\"" }
        if let cssClass { body += " class=\"\(XMLText.escape(cssClass))\"" }
        if let baseline { body += " dominant-baseline=\"\(baseline)\"" }
        body += ">"
        if let tooltip { body += "<title>" + XMLText.escape(tooltip) + "</title>" }
        body += XMLText.escape(content) + "</text>"
    }

    private mutating func appendAttributes(_ attributes: KeyValuePairs<String, String>) {
        for (key, value) in attributes {
            body += " " + key + "=\"" + XMLText.escape(value) + "\""
        }
    }
}

/// A pixel coordinate with at most two decimals and no trailing zeros ("12.5", "3", "-0.25").
func coord(_ value: Double) -> String {
    var text = NumberText.fixed(value, decimals: 2)
    guard text.hasSuffix("0") || text.hasSuffix(".") else { return text }
    guard text.contains(".") else { return text }
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
}
