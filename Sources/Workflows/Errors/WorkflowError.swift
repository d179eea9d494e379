/// A failure the user can act on: what went wrong, naming the file, tensor or setting, and what to do.
///
/// The message is made of text and references to settings (`Setting`), so that each front end words the
/// settings its own way: the CLI as flags (`--k`), a test or library caller as setting names. Build one with
/// string interpolation: `WorkflowError("\(setting: .k) \(k) is larger than the \(n) usable images")`.
public struct WorkflowError: Error, CustomStringConvertible, Sendable {
    /// One piece of a message.
    public enum Part: Sendable, Equatable {
        case text(String)
        case setting(Setting)
    }

    public let parts: [Part]

    public init(_ message: Message) { parts = message.parts }
    public init(parts: [Part]) { self.parts = parts }

    /// The settings the message refers to, in order (for front ends and tests).
    public var settings: [Setting] { parts.compactMap { if case .setting(let s) = $0 { return s } else { return nil } } }

    /// The message with each setting worded by `name`.
    public func rendered(_ name: (Setting) -> String) -> String {
        parts.map { part in
            switch part {
            case .text(let t): return t
            case .setting(let s): return name(s)
            }
        }.joined()
    }

    /// The message with settings by their plain names.
    public var description: String { rendered { $0.plainName } }
    public var message: String { description }

    /// A message that may refer to settings: `"\(setting: .lr) is too high"`.
    public struct Message: ExpressibleByStringInterpolation, Sendable {
        public var parts: [Part] = []

        public init(stringLiteral value: String) { parts = [.text(value)] }
        public init(stringInterpolation: Interpolation) { parts = stringInterpolation.parts }

        public struct Interpolation: StringInterpolationProtocol {
            var parts: [Part] = []
            public init(literalCapacity: Int, interpolationCount: Int) {}
            public mutating func appendLiteral(_ literal: String) { append(literal) }
            public mutating func appendInterpolation<T>(_ value: T) { append(String(describing: value)) }
            public mutating func appendInterpolation(setting: Setting) { parts.append(.setting(setting)) }
            mutating func append(_ text: String) {
                guard !text.isEmpty else { return }
                if case .text(let previous)? = parts.last { parts[parts.count - 1] = .text(previous + text) } else { parts.append(.text(text)) }
            }
        }
    }
}

extension WorkflowError {
    /// Wraps a lower module's error (a decoder's, a checkpoint reader's) with what was being done.
    public init(_ context: String, _ underlying: any Error) {
        if let inner = underlying as? WorkflowError {
            parts = [.text(context + ": ")] + inner.parts
        } else {
            parts = [.text("\(context): \(underlying)")]
        }
    }
}
