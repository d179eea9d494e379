import Foundation

/// `RUN/assignments.csv`: one row per image of each evaluated split
/// (`path,cluster,cell_type,confidence,label,split`).
public struct AssignmentsFile: Sendable {
    public let url: URL

    public struct Row: Sendable, Equatable {
        public var path: String
        public var cluster: Int
        public var cellType: String
        public var confidence: Float
        /// The image's label, "" when it has none.
        public var label: String
        public var split: String
    }

    static let header = "path,cluster,cell_type,confidence,label,split"

    /// Replaces the rows of `split` (and of the `dropping` splits) with `rows`, keeping the other splits'.
    public func replace(split: String, with rows: [Row], dropping stale: Set<String> = []) throws {
        let gone = stale.union([split])
        // The other splits' rows are kept as written.
        let kept = lines().filter { !gone.contains(CSV.parse($0).last ?? "") }
        let added = rows.map {
            CSV.row([$0.path, String($0.cluster), $0.cellType, String(format: "%.6f", $0.confidence), $0.label, $0.split])
        }
        try AtomicText.write(([Self.header] + kept + added).joined(separator: "\n") + "\n", to: url)
    }

    private func lines() -> [String] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().map(String.init)
    }

    /// Every row (none when the file is absent; malformed rows are skipped).
    public func read() -> [Row] {
        lines().compactMap { line in
            let f = CSV.parse(line)
            guard f.count == 6, let c = Int(f[1]), let conf = Float(f[3]) else { return nil }
            return Row(path: f[0], cluster: c, cellType: f[2], confidence: conf, label: f[4], split: f[5])
        }
    }
}
