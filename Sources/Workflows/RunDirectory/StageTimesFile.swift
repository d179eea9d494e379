import Foundation

/// `RUN/stages.json`: seconds per stage (`{"pretrain": 94.1, …}`).
public struct StageTimesFile: Sendable {
    public let url: URL

    static let order = ["synthesize", "pretrain", "cluster", "evaluate train", "evaluate test", "report"]

    public func record(_ name: String, seconds: Double) throws {
        var times = read().filter { $0.0 != name }
        times.append((name, seconds))
        let obj = times.map { "  \"\($0.0)\": \(String(format: "%.3f", $0.1))" }.joined(separator: ",\n")
        try AtomicText.write("{\n\(obj)\n}\n", to: url)
    }

    /// Stage names and seconds, in pipeline order.
    public func read() -> [(String, Double)] {
        guard let data = try? Data(contentsOf: url),
            let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Double]
        else { return [] }
        return obj.sorted { (Self.order.firstIndex(of: $0.key) ?? 99, $0.key) < (Self.order.firstIndex(of: $1.key) ?? 99, $1.key) }
            .map { ($0.key, $0.value) }
    }
}
