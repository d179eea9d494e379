import Foundation

/// `RUN/stages.json`: the seconds of each stage, a list per stage (`{"pretrain": [612.402, 431.118], "cluster":
/// [27.061], …}`). A stage that resumes (pretraining, clustering) adds each completed invocation, so one that was
/// interrupted and resumed keeps the time of each part; a stage that redoes all its work (evaluation, the report)
/// replaces its time. Files written before this kept one number per stage; they are still read.
public struct StageTimesFile: Sendable {
    public let url: URL

    static let order = ["synthesize", "pretrain", "cluster", "evaluate train", "evaluate test", "report"]

    /// Records an invocation of `name` that took `seconds`: added to the earlier ones when the stage `resumes`,
    /// else in their place. With `didWork` false (the stage found everything done and only checked), nothing is
    /// recorded unless the stage has no time yet.
    public func record(_ name: String, seconds: Double, resumes: Bool = false, didWork: Bool = true) throws {
        var stages = invocations()
        if let i = stages.firstIndex(where: { $0.stage == name }) {
            guard didWork else { return }
            stages[i].seconds = resumes ? stages[i].seconds + [seconds] : [seconds]
        } else {
            stages.append((name, [seconds]))
        }
        let lines = stages.map { s in
            "  \"\(s.stage)\": [" + s.seconds.map { String(format: "%.3f", $0) }.joined(separator: ", ") + "]"
        }
        try AtomicText.write("{\n" + lines.joined(separator: ",\n") + "\n}\n", to: url)
    }

    /// Each stage's seconds, invocation by invocation, in pipeline order.
    public func invocations() -> [(stage: String, seconds: [Double])] {
        guard let data = try? Data(contentsOf: url), let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
        let stages: [(stage: String, seconds: [Double])] = obj.compactMap { key, value in
            if let list = value as? [NSNumber] { return (key, list.map(\.doubleValue)) }
            if let one = value as? NSNumber { return (key, [one.doubleValue]) }
            return nil
        }
        return stages.sorted {
            (Self.order.firstIndex(of: $0.stage) ?? 99, $0.stage) < (Self.order.firstIndex(of: $1.stage) ?? 99, $1.stage)
        }
    }

    /// Stage names and their total seconds over all invocations, in pipeline order.
    public func read() -> [(String, Double)] { invocations().map { ($0.stage, $0.seconds.reduce(0, +)) } }
}
