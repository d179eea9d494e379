import Foundation

/// Where workflows report progress: a bar on long loops, one line per epoch or stage.
public protocol ProgressSink: Sendable {
    /// A loop of `total` steps named `label` advanced to `done`.
    func progress(_ label: String, done: Int, total: Int, detail: String)
    /// A finished-line message (epoch summary, stage result, warning).
    func line(_ text: String)
    /// Whether each epoch's summary line is wanted (`ProgressObserver` asks; false for `--quiet`).
    var showsEpochs: Bool { get }
}

extension ProgressSink {
    public var showsEpochs: Bool { true }
}

/// Prints nothing (tests, and commands that print their own results).
public struct SilentProgress: ProgressSink {
    public init() {}
    public func progress(_ label: String, done: Int, total: Int, detail: String) {}
    public func line(_ text: String) {}
}

/// `--quiet`: no bars and no epoch lines, but the stages' results, notes and warnings still go to standard
/// output, so that a quiet run still says what it found, skipped or refused.
public struct QuietProgress: ProgressSink {
    public init() {}
    public var showsEpochs: Bool { false }
    public func progress(_ label: String, done: Int, total: Int, detail: String) {}
    public func line(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }
}

/// A terminal progress bar with rate and ETA on standard error; lines go to standard output.
public final class TerminalProgress: ProgressSink, @unchecked Sendable {
    private var started: [String: Double] = [:]
    private let lock = NSLock()
    private let interactive: Bool

    public init() { interactive = isatty(2) != 0 }

    public func progress(_ label: String, done: Int, total: Int, detail: String) {
        lock.lock()
        defer { lock.unlock() }
        let now = monotonicSeconds()
        if done == 0 || started[label] == nil { started[label] = now }
        guard interactive || done == total else { return }
        let text = Self.render(label, done: done, total: total, elapsed: now - started[label]!, detail: detail, interactive: interactive)
        FileHandle.standardError.write(Data(text.utf8))
        if done == total { started[label] = nil }
    }

    /// One report as written to standard error. On a terminal: the bar redrawn in place (`\r`, erase to end
    /// of line; erased when done). Elsewhere (a log file, a pipe): only the finished loop, as a plain line.
    static func render(_ label: String, done: Int, total: Int, elapsed: Double, detail: String, interactive: Bool) -> String {
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let width = 24
        let filled = total > 0 ? min(width, width * done / total) : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        // A loop that finishes in its first report (one batch) has no measured rate: say so rather than "0.0/s".
        let rateText = rate > 0 ? String(format: "%.1f/s", rate) : "–/s"
        let text = String(format: "%@ %@ %d/%d  %@  ETA %@  %@", label, bar, done, total, rateText, Self.clock(eta), detail)
        guard interactive else { return text + "\n" }
        return "\r" + text + "\u{1B}[K" + (done == total ? "\r\u{1B}[K" : "")
    }

    public func line(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func clock(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
    }
}
