/// The CSV dialect of the run directory's files (RFC 4180: fields with commas, quotes or newlines are quoted,
/// quotes doubled).
public enum CSV {
    static func field(_ s: String) -> String {
        s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// One line of fields, quoted where needed.
    public static func row(_ fields: [String]) -> String { fields.map(field).joined(separator: ",") }

    /// The fields of one line written by `row`.
    static func parse(_ line: String) -> [String] {
        var fields: [String] = []
        var cur = ""
        var quoted = false
        let chars = Array(line)
        var i = 0
        while i < chars.count {
            let ch = chars[i]
            if quoted {
                if ch == "\"" {
                    if i + 1 < chars.count && chars[i + 1] == "\"" {
                        cur.append("\"")
                        i += 1
                    } else {
                        quoted = false
                    }
                } else {
                    cur.append(ch)
                }
            } else if ch == "\"" {
                quoted = true
            } else if ch == "," {
                fields.append(cur)
                cur = ""
            } else {
                cur.append(ch)
            }
            i += 1
        }
        fields.append(cur)
        return fields
    }
}
