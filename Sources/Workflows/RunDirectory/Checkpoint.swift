import Compute
import Determinism
import Foundation
import Imaging
import Models

/// A wbc checkpoint: a safetensors file whose tensors hold the model (PyTorch names), optimizer state and
/// normalisation images, and whose metadata holds everything needed to use it again (kind, format version,
/// architecture, normalisation, epoch, cluster→cell-type mapping).
public struct Checkpoint: Sendable {
    public enum Kind: String, Sendable { case autoencoder, dec }

    public var kind: Kind
    public var state = StateDict()
    public var metadata: [String: String] = [:]

    public init(kind: Kind) { self.kind = kind }

    /// The model's own tensors: everything except optimizer state, normalisation images and DEC extras.
    public var modelState: StateDict {
        var m = state
        for prefix in ["optimizer.", "normalization.", "dec."] {
            m.floats = m.floats.filter { !$0.key.hasPrefix(prefix) }
            m.integers = m.integers.filter { !$0.key.hasPrefix(prefix) }
        }
        return m
    }

    // MARK: Typed metadata

    public var spec: AutoencoderSpec? {
        get { metadata["wbc.spec"].flatMap { try? JSONDecoder().decode(AutoencoderSpec.self, from: Data($0.utf8)) } }
        set {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]  // the same spec, the same bytes: identical runs write identical files
            metadata["wbc.spec"] = newValue.flatMap { try? String(decoding: enc.encode($0), as: UTF8.self) }
        }
    }

    /// The recorded architecture, checked: its backbone must be one wbc can build.
    public func spec(file: String) throws -> AutoencoderSpec {
        guard let spec else { throw WorkflowError("\(file) does not record its architecture") }
        guard spec.backbone.architecture != nil else {
            throw WorkflowError(
                "\(file) was made with backbone '\(spec.backbone)', which this wbc does not know (it knows \(Backbones.names.joined(separator: ", ")))")
        }
        return spec
    }

    public var epoch: Int {
        get { Int(metadata["wbc.epoch"] ?? "") ?? 0 }
        set { metadata["wbc.epoch"] = String(newValue) }
    }

    /// The run settings saved with the checkpoint.
    public func settings(file: String) throws -> RunSettings {
        guard let text = metadata["wbc.settings"] else { throw WorkflowError("\(file) does not record its run settings") }
        do { return try RunSettings.decodeLenient(Data(text.utf8)) } catch {
            throw WorkflowError("\(file): its run settings cannot be read (\(error))")
        }
    }

    public func decode<T: Decodable>(_ type: T.Type, _ key: String) -> T? {
        metadata[key].flatMap { try? JSONDecoder().decode(T.self, from: Data($0.utf8)) }
    }

    public mutating func encode<T: Encodable>(_ value: T, _ key: String) {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        metadata[key] = (try? enc.encode(value)).map { String(decoding: $0, as: UTF8.self) }
    }

    // MARK: Normalisation travels inside

    public mutating func storeNormalization(_ n: Normalization, choice: NormalizationChoice) {
        metadata["wbc.normalization"] = choice.rawValue
        if case .dataset(let mean, let std) = n {
            let side = Int((Double(mean.count) / 3).squareRoot())
            state.floats["normalization.mean"] = try? HostTensor(shape: [3, side, side], values: mean)
            state.floats["normalization.std"] = try? HostTensor(shape: [3, side, side], values: std)
        }
    }

    public func normalization(file: String) throws -> (Normalization, NormalizationChoice) {
        guard let raw = metadata["wbc.normalization"], let choice = NormalizationChoice(rawValue: raw) else {
            throw WorkflowError("\(file) does not record its normalisation; it was not written by this version of wbc")
        }
        let stored = try choice.normalization {
            guard let m = state.floats["normalization.mean"], let s = state.floats["normalization.std"] else { return nil }
            return .dataset(mean: m.values, std: s.values)
        }
        guard let stored else {
            throw WorkflowError("\(file) says it uses dataset normalisation but holds no normalization.mean/std tensors")
        }
        return (stored, choice)
    }

    // MARK: Files

    public func write(to url: URL) throws {
        var meta = metadata
        meta["wbc.kind"] = kind.rawValue
        meta["wbc.format"] = WBCVersion.checkpointFormat
        meta["wbc.version"] = WBCVersion.current
        meta["wbc.digest"] = Self.digest(state)
        do { try state.write(to: url, metadata: meta) } catch {
            throw WorkflowError("cannot write checkpoint \(url.path): \(error). The previous checkpoint, if any, is intact.")
        }
    }

    /// Reads and checks a checkpoint of `kind`.
    public static func read(_ url: URL, kind: Kind) throws -> Checkpoint {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw WorkflowError("no checkpoint at \(url.path): run the \(kind == .autoencoder ? "pretraining" : "clustering") stage first")
        }
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile(contentsOf: url) } catch {
            throw WorkflowError("checkpoint \(url.path) is damaged or truncated (\(error)); delete it and rerun the stage that writes it")
        }
        guard let k = file.metadata["wbc.kind"] else {
            throw WorkflowError("\(url.path) is a safetensors file but not a wbc checkpoint (no wbc.kind metadata)")
        }
        guard k == kind.rawValue else {
            throw WorkflowError("\(url.path) is a \(k) checkpoint, expected \(kind.rawValue)")
        }
        guard file.metadata["wbc.format"] == WBCVersion.checkpointFormat else {
            throw WorkflowError(
                "\(url.path) has checkpoint format \(file.metadata["wbc.format"] ?? "?"), this wbc reads format \(WBCVersion.checkpointFormat); rerun the stage with this version"
            )
        }
        var c = Checkpoint(kind: kind)
        c.metadata = file.metadata
        for e in file.entries {
            if e.dtype.isInteger {
                c.state.integers[e.name] = try file.integerTensor(named: e.name)
            } else {
                c.state.floats[e.name] = try file.floatTensor(named: e.name)
            }
        }
        // Bytes changed inside the tensor data keep the file well-formed; the digest written with it does not match.
        if let recorded = c.metadata["wbc.digest"], recorded != digest(c.state) {
            throw WorkflowError(
                "checkpoint \(url.path) is damaged: its tensors no longer match the digest written with them; delete it and rerun the stage that writes it")
        }
        return c
    }

    /// A 64-bit FNV-1a digest of every tensor (names, shapes and value bits, in name order), written into the
    /// checkpoint's metadata and checked on reading. It guards against damage, not against tampering.
    static func digest(_ state: StateDict) -> String {
        var hash = FNV1a()
        for (name, t) in state.floats.sorted(by: { $0.key < $1.key }) {
            hash.mix(name)
            for d in t.shape { hash.mix(UInt64(d)) }
            for x in t.values { hash.mix(UInt64(x.bitPattern)) }
        }
        for (name, t) in state.integers.sorted(by: { $0.key < $1.key }) {
            hash.mix(name)
            for d in t.shape { hash.mix(UInt64(d)) }
            for x in t.values { hash.mix(UInt64(bitPattern: x)) }
        }
        return hash.hex
    }

    // MARK: Optimizer state

    public mutating func storeOptimizer(_ opt: any Optimizer) {
        let (tensors, steps) = opt.stateDict()
        for (k, t) in tensors { state.floats["optimizer." + k] = t.toHost() }
        metadata["wbc.optimizer_steps"] = String(steps)
    }

    public func restoreOptimizer(_ opt: any Optimizer) throws {
        let sub = state.subset(prefix: "optimizer.")
        try opt.loadState(tensors: sub.floats.mapValues { Tensor($0) }, steps: Int(metadata["wbc.optimizer_steps"] ?? "0") ?? 0)
    }
}
