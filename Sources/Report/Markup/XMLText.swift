/// Text helpers for writing XML (SVG) and HTML by hand.
///
/// Every string that comes from data (class names, settings, file names) passes through
/// ``XMLText/escape(_:)`` before it reaches markup.
public enum XMLText {
    /// Escapes `&`, `<`, `>`, `"` and `'` for use in XML text or a double-quoted attribute,
    /// and replaces characters XML 1.0 forbids (C0 controls other than tab, LF, CR; U+FFFE, U+FFFF) with U+FFFD.
    ///
    /// ```swift
    /// XMLText.escape("B<cells> & \"T\"")   // "B&lt;cells&gt; &amp; &quot;T&quot;"
    /// ```
    public static func escape(_ text: String) -> String {
        var needsWork = false
        for scalar in text.unicodeScalars where !isPlain(scalar) {
            needsWork = true
            break
        }
        if !needsWork { return text }
        var out = String()
        out.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if isAllowedInXML(scalar) {
                    out.unicodeScalars.append(scalar)
                } else {
                    out.unicodeScalars.append("\u{FFFD}")
                }
            }
        }
        return out
    }

    /// Shortens `text` to at most `maxCharacters` characters (grapheme clusters), ending in "…" when cut.
    /// Newlines and tabs become spaces so a label stays on one line. Returns the text unescaped.
    public static func truncate(_ text: String, maxCharacters: Int) -> String {
        let flat = singleLine(text)
        let limit = max(1, maxCharacters)
        guard flat.count > limit else { return flat }
        return String(flat.prefix(limit - 1)) + "…"
    }

    /// Replaces line breaks and tabs with spaces.
    static func singleLine(_ text: String) -> String {
        guard text.contains(where: { $0.isNewline || $0 == "\t" }) else { return text }
        return String(text.map { ($0.isNewline || $0 == "\t") ? " " : $0 })
    }

    private static func isPlain(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "&", "<", ">", "\"", "'": return false
        default: return isAllowedInXML(scalar)
        }
    }

    /// XML 1.0 `Char` production (Swift strings never hold lone surrogates).
    private static func isAllowedInXML(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x20 { return v == 0x9 || v == 0xA || v == 0xD }
        return v != 0xFFFE && v != 0xFFFF
    }
}
