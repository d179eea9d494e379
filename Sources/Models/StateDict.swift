import Compute
import Foundation

/// A layer's state as PyTorch names it: float tensors (parameters and BN running statistics) and
/// integer tensors (`num_batches_tracked`).
public struct StateDict: Sendable {
    public var floats: [String: HostTensor]
    public var integers: [String: HostIntegerTensor]

    public init(floats: [String: HostTensor] = [:], integers: [String: HostIntegerTensor] = [:]) {
        self.floats = floats
        self.integers = integers
    }

    /// The state of `layer` with names prefixed by `prefix` (e.g. `"encoder."`).
    public init(of layer: any Layer, prefix: String = "") {
        floats = [:]
        integers = [:]
        for (name, p) in layer.namedParameters(prefix: prefix) { floats[name] = p.value.toHost() }
        for (name, t) in layer.namedBuffers(prefix: prefix) { floats[name] = t.toHost() }
        for (name, l) in layer.namedLayers(prefix: "") {
            if let bn = (l as? BatchNorm2d) ?? (l as? BatchNorm1d)?.norm {
                let key = prefix + (name.isEmpty ? "" : name + ".") + "num_batches_tracked"
                integers[key] = try! HostIntegerTensor(shape: [], values: [bn.numBatchesTracked])
            }
        }
    }

    /// Reads a safetensors file.
    public init(contentsOf url: URL) throws {
        let file = try SafeTensorsFile(contentsOf: url)
        floats = [:]
        integers = [:]
        for e in file.entries {
            if e.dtype.isInteger { integers[e.name] = try file.integerTensor(named: e.name) } else { floats[e.name] = try file.floatTensor(named: e.name) }
        }
    }

    /// Writes a safetensors file atomically.
    public func write(to url: URL, metadata: [String: String] = [:]) throws {
        try SafeTensorsWriter.write(floats: floats, integers: integers, metadata: metadata, to: url)
    }

    /// The entries whose names start with `prefix`, with the prefix removed.
    public func subset(prefix: String) -> StateDict {
        StateDict(
            floats: Dictionary(
                uniqueKeysWithValues: floats.compactMap { k, v in
                    k.hasPrefix(prefix) ? (String(k.dropFirst(prefix.count)), v) : nil
                }),
            integers: Dictionary(
                uniqueKeysWithValues: integers.compactMap { k, v in
                    k.hasPrefix(prefix) ? (String(k.dropFirst(prefix.count)), v) : nil
                }))
    }

    /// Merges another state dict's entries under `prefix`.
    public mutating func merge(_ other: StateDict, prefix: String = "") {
        for (k, v) in other.floats { floats[prefix + k] = v }
        for (k, v) in other.integers { integers[prefix + k] = v }
    }
}

/// A mismatch between a state dict and a model, naming every tensor concerned.
public struct StateDictMismatch: Error, CustomStringConvertible, Sendable {
    public var source: String
    public var missing: [String]
    public var unexpected: [String]
    public var misshaped: [(name: String, expected: [Int], found: [Int])]
    /// Tensors stored with the wrong kind of values: integers where the model has float32 weights, or
    /// floating-point values for an integer counter (`num_batches_tracked`).
    public var wrongKind: [(name: String, found: String, expected: String)] = []
    /// The last line: what to do about it.
    public var advice = "It was written for another model or changed since: rerun the stage that writes it (or use a new run directory)."

    public var description: String {
        var lines = ["\(source) does not match the model:"]
        if !missing.isEmpty { lines.append("  missing (\(missing.count)): " + missing.prefix(8).joined(separator: ", ") + (missing.count > 8 ? ", …" : "")) }
        if !unexpected.isEmpty {
            lines.append("  unexpected (\(unexpected.count)): " + unexpected.prefix(8).joined(separator: ", ") + (unexpected.count > 8 ? ", …" : ""))
        }
        for m in misshaped.prefix(8) { lines.append("  \(m.name): expected shape \(m.expected), found \(m.found)") }
        for w in wrongKind.prefix(8) { lines.append("  \(w.name): stored as \(w.found), expected \(w.expected)") }
        lines.append("  " + advice)
        return lines.joined(separator: "\n")
    }
}

/// What a load did.
public struct LoadReport: Sendable {
    public var loaded: [String] = []
    public var missing: [String] = []
    public var unexpected: [String] = []
}

extension StateDict {
    /// Copies matching tensors into `layer`. Strict (default): every parameter and buffer must be present with
    /// its shape and no unknown names may remain; partial: loads what matches and reports the rest. Either way a
    /// mis-shaped tensor, or one stored with the wrong kind of values (integers for a weight, floats for
    /// `num_batches_tracked`), is refused and nothing is loaded.
    @discardableResult
    public func load(into layer: any Layer, prefix: String = "", partial: Bool = false, source: String) throws -> LoadReport {
        var report = LoadReport()
        var misshaped: [(String, [Int], [Int])] = []
        var wrongKind: [(name: String, found: String, expected: String)] = []
        var targets: [(String, Tensor, Parameter?)] = layer.namedParameters(prefix: prefix).map { ($0.0, $0.1.value, $0.1) }
        targets += layer.namedBuffers(prefix: prefix).map { ($0.0, $0.1, nil) }
        var used = Set<String>()
        var assignments: [(String, Tensor, Parameter?, HostTensor)] = []
        for (name, tensor, param) in targets {
            guard let h = floats[name] else {
                if integers[name] != nil {
                    wrongKind.append((name, "integers", "floating-point values"))
                    used.insert(name)
                } else {
                    report.missing.append(name)
                }
                continue
            }
            used.insert(name)
            guard h.shape == tensor.shape else {
                misshaped.append((name, tensor.shape, h.shape))
                continue
            }
            assignments.append((name, tensor, param, h))
        }
        var batchNorms: [(BatchNorm2d, String)] = []
        for (name, l) in layer.namedLayers(prefix: "") {
            guard let bn = (l as? BatchNorm2d) ?? (l as? BatchNorm1d)?.norm else { continue }
            let key = prefix + (name.isEmpty ? "" : name + ".") + "num_batches_tracked"
            if integers[key] != nil {
                used.insert(key)
            } else if floats[key] != nil {
                wrongKind.append((key, "floating-point values", "an integer"))
                used.insert(key)
            }
            batchNorms.append((bn, key))
        }
        report.unexpected = (Set(floats.keys).union(integers.keys).subtracting(used))
            .filter { prefix.isEmpty || $0.hasPrefix(prefix) }.sorted()
        // Check everything before touching the model: a refused load leaves it as it was.
        if !misshaped.isEmpty || !wrongKind.isEmpty || (!partial && (!report.missing.isEmpty || !report.unexpected.isEmpty)) {
            var mismatch = StateDictMismatch(
                source: source, missing: report.missing, unexpected: report.unexpected,
                misshaped: misshaped.map { (name: $0.0, expected: $0.1, found: $0.2) })
            mismatch.wrongKind = wrongKind
            throw mismatch
        }
        for (name, tensor, param, h) in assignments {
            try tensor.assign(Tensor(shape: h.shape, values: h.values))
            param?.markUpdated()
            report.loaded.append(name)
        }
        for (bn, key) in batchNorms {
            if let v = integers[key]?.values.first { bn.numBatchesTracked = v }
            bn.markRunningStatisticsUpdated()
        }
        return report
    }
}
