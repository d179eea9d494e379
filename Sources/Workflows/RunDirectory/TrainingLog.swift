import Foundation

/// `RUN/log.csv`: one row per finished epoch of each stage (`stage,epoch,step,loss,accuracy,nmi,seconds`).
public struct TrainingLog: Sendable {
    public let url: URL

    public struct Row: Sendable, Equatable {
        public var stage: String, epoch: Int, step: Int, loss: Double
        public var accuracy: Double?, nmi: Double?, seconds: Double
        public init(stage: String, epoch: Int, step: Int, loss: Double, accuracy: Double? = nil, nmi: Double? = nil, seconds: Double) {
            self.stage = stage
            self.epoch = epoch
            self.step = step
            self.loss = loss
            self.accuracy = accuracy
            self.nmi = nmi
            self.seconds = seconds
        }
    }

    static let header = "stage,epoch,step,loss,accuracy,nmi,seconds"

    /// Rewrites the file keeping rows of other stages and rows of `row.stage` before `row.epoch`, then adds
    /// `row`, so a resumed stage does not duplicate epochs.
    public func append(_ row: Row) throws {
        var rows = read().filter { !($0.stage == row.stage && $0.epoch >= row.epoch) }
        rows.append(row)
        try write(rows)
    }

    public func write(_ rows: [Row]) throws {
        func f(_ v: Double?) -> String { v.map { String(format: "%.6g", $0) } ?? "" }
        let lines =
            [Self.header]
            + rows.map {
                "\($0.stage),\($0.epoch),\($0.step),\(String(format: "%.8g", $0.loss)),\(f($0.accuracy)),\(f($0.nmi)),\(String(format: "%.3f", $0.seconds))"
            }
        try AtomicText.write(lines.joined(separator: "\n") + "\n", to: url)
    }

    /// The rows (none when the file is absent; malformed rows are skipped).
    public func read() -> [Row] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let c = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard c.count == 7, let e = Int(c[1]), let s = Int(c[2]), let l = Double(c[3]), let t = Double(c[6]) else { return nil }
            return Row(stage: c[0], epoch: e, step: s, loss: l, accuracy: Double(c[4]), nmi: Double(c[5]), seconds: t)
        }
    }
}
