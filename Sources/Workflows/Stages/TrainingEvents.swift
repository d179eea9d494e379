import Foundation

/// What a stage reports while it trains. Stages emit events; the progress output, log.csv and the report's
/// per-epoch pictures subscribe (`TrainingObserver`), so no stage draws or prints on its own.
public enum TrainingEvent: Sendable {
    /// One finished epoch (or, for `kmeans`, the initial clustering as epoch 0), just before its checkpoint is
    /// written (an interrupted epoch is repeated, and its row rewritten).
    case epoch(EpochRecord)
    /// The features and clusters of the images a clustering epoch saw (emitted every `plotEvery` epochs).
    case clusterSnapshot(ClusterSnapshot)
    /// A line for the user: a stage's result, a note, a warning.
    case note(String)
}

/// One epoch of a stage, as log.csv and the progress lines show it.
public struct EpochRecord: Sendable {
    /// `pretrain`, `kmeans` or `cluster`.
    public var stage: String
    public var epoch: Int
    /// The stage's epoch limit (0 for a one-off step such as k-means).
    public var epochs: Int
    /// Optimizer steps in the epoch.
    public var step: Int
    /// The epoch's mean loss (k-means: its inertia).
    public var loss: Double
    /// What `loss` is ("loss", "KL", "inertia").
    public var lossName: String
    /// Scored against the labels when the data has them (never used for training or any choice).
    public var accuracy: Double?
    public var nmi: Double?
    public var seconds: Double
    /// Images seen.
    public var images: Int
    /// Short remarks for the progress line ("best", "changed 2.00%").
    public var notes: [String] = []
    /// Whether the progress output prints it (a series summed up by a note is only logged).
    public var printed = true
}

/// What a clustering epoch saw, for the per-epoch t-SNE pictures.
public struct ClusterSnapshot: Sendable {
    /// The most images a snapshot holds (the first ones an epoch saw).
    public static let limit = 2_000
    public var epoch: Int
    /// Features, `[n, d]` row-major.
    public var features: [Float]
    public var n: Int, d: Int
    public var clusters: [Int]
    public var k: Int
    public var seed: UInt64
}

/// Subscribes to a stage's events.
public protocol TrainingObserver: Sendable {
    func observe(_ event: TrainingEvent) throws
}

/// The observers a stage reports to, in order.
public struct TrainingEvents: Sendable {
    public var observers: [any TrainingObserver]
    public init(_ observers: [any TrainingObserver] = []) { self.observers = observers }

    public func emit(_ event: TrainingEvent) throws { for o in observers { try o.observe(event) } }
    public func note(_ text: String) throws { try emit(.note(text)) }
}

/// Writes each finished epoch to `RUN/log.csv`.
public struct TrainingLogObserver: TrainingObserver {
    public let log: TrainingLog
    public init(_ log: TrainingLog) { self.log = log }

    public func observe(_ event: TrainingEvent) throws {
        guard case .epoch(let r) = event else { return }
        try log.append(.init(stage: r.stage, epoch: r.epoch, step: r.step, loss: r.loss, accuracy: r.accuracy, nmi: r.nmi, seconds: r.seconds))
    }
}

/// Prints epoch lines and notes through a `ProgressSink`.
public struct ProgressObserver: TrainingObserver {
    public let sink: any ProgressSink
    public init(_ sink: any ProgressSink) { self.sink = sink }

    public func observe(_ event: TrainingEvent) throws {
        switch event {
        case .note(let text): sink.line(text)
        case .epoch(let r): if r.printed && sink.showsEpochs { sink.line(Self.line(r)) }
        case .clusterSnapshot: break
        }
    }

    /// "cluster epoch 2/4  KL 0.01234  changed 1.20%  accuracy 0.9000  NMI 0.8000  3.1 s (82.0 images/s)"
    static func line(_ r: EpochRecord) -> String {
        var s = r.epochs > 0 ? "\(r.stage) epoch \(r.epoch)/\(r.epochs)" : r.stage
        s += String(format: "  %@ %.5g", r.lossName, r.loss)
        for note in r.notes { s += "  " + note }
        if let a = r.accuracy, let n = r.nmi { s += String(format: "  accuracy %.4f  NMI %.4f", a, n) }
        s += String(format: "  %.1f s", r.seconds)
        if r.images > 0 && r.seconds > 0 { s += String(format: " (%.1f images/s)", Double(r.images) / r.seconds) }
        return s
    }
}
