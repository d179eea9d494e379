import Compute
import Foundation

/// The tensors of a PyTorch checkpoint (`torch.save`'s zip format, PyTorch ≥ 1.6, or the legacy format before
/// it, `LegacyTorchFile`), read without running Python and without executing anything from the file.
///
/// Float32, float16, bfloat16 and float64 storages are converted to float32; integer tensors (BatchNorm's
/// `num_batches_tracked`) are kept apart as Int64. Strided views and storages shared between tensors are
/// materialised. A dict wrapping the state dict under `state_dict` or `model` is unwrapped, and `module.`
/// prefixes (DataParallel) are stripped.
///
/// ```swift
/// let checkpoint = try PyTorchCheckpoint(contentsOf: URL(fileURLWithPath: "resnet50-0676ba61.pth"))
/// for t in checkpoint.floatTensors { print(t.name, t.tensor.shape) }
/// ```
public struct PyTorchCheckpoint: Sendable {
    /// The path (or label) used in messages.
    public let file: String
    /// Float tensors (converted to float32) in the checkpoint's order.
    public let floatTensors: [NamedTensor]
    /// Integer tensors in the checkpoint's order.
    public let integerTensors: [NamedIntegerTensor]
    /// Every tensor as stored (name, stored dtype, shape), in the checkpoint's order.
    public let descriptions: [TensorDescription]
    /// The key the state dict was found under (`state_dict`, `model`), or nil for a bare state dict.
    public let wrapperKey: String?
    /// Keys of the state dict whose values are not tensors (ignored).
    public let ignoredKeys: [String]

    /// Reads the checkpoint at `url`.
    /// - Throws: `CheckpointError` naming the file (and tensor): forbidden globals, damaged archives or
    ///   legacy files, views outside their storage, …
    public init(contentsOf url: URL) throws {
        let data = try CheckpointError.readFile(url)
        try self.init(data: data, file: url.path)
    }

    /// Reads checkpoint bytes held in memory (the zip format, or the legacy one); `file` labels errors.
    public init(data: Data, file: String = "<memory>") throws {
        let located: (StateDictLocator.Found, any StorageSource)
        switch try Self.format(data, file: file) {
        case .zip:
            let archive = try TorchArchive(data: data, file: file)
            let found = try RestrictedUnpickler.load(try archive.read("data.pkl"), file: file) { root in
                try StateDictLocator.locate(in: root, file: file)
            }
            located = (found, archive)
        case .legacy:
            let read = try LegacyTorchFile.read(data, file: file) { root in try StateDictLocator.locate(in: root, file: file) }
            located = (read.value, read.storages)
        }
        let (stateDict, source) = located
        var storages = StorageCache(source: source, bigEndian: try source.bigEndian)
        var floats: [NamedTensor] = []
        var integers: [NamedIntegerTensor] = []
        var descriptions: [TensorDescription] = []
        for (name, reference) in stateDict.tensors {
            descriptions.append(TensorDescription(name: name, dtype: reference.storage.dtype, shape: reference.shape))
            if reference.storage.dtype.isFloatingPoint {
                let values = try storages.floats(for: reference, name: name)
                floats.append(NamedTensor(name: name, tensor: try HostTensor(shape: reference.shape, values: values)))
            } else {
                let values = try storages.integers(for: reference, name: name)
                integers.append(NamedIntegerTensor(name: name, tensor: try HostIntegerTensor(shape: reference.shape, values: values)))
            }
        }
        self.file = file
        self.floatTensors = floats
        self.integerTensors = integers
        self.descriptions = descriptions
        self.wrapperKey = stateDict.wrapperKey
        self.ignoredKeys = stateDict.ignoredKeys
    }

    enum Format { case zip, legacy }

    /// The zip magic, or the legacy format's pickled magic number; anything else is not a checkpoint.
    static func format(_ data: Data, file: String) throws -> Format {
        let head = [UInt8](data.prefix(4))
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) { return .zip }
        if LegacyTorchFile.matches(data) { return .legacy }
        if head.first == 0x80 {
            throw CheckpointError(file: file, reason: .legacyMalformed("a pickle without torch's magic number: not written by torch.save"))
        }
        throw CheckpointError(file: file, reason: .notACheckpoint)
    }
}

/// Where a checkpoint's storages are: the zip archive's `data/<key>` entries, or the legacy file's tail.
protocol StorageSource {
    var file: String { get }
    /// Whether the storages' elements are big-endian.
    var bigEndian: Bool { get throws }
    /// The raw bytes of storage `key`.
    func storageBytes(_ key: String) throws -> [UInt8]
}

// MARK: - Finding the state dict in the unpickled value

/// Locates the state dict: the top-level dict, or the dict under `state_dict` / `model` in a wrapping dict.
enum StateDictLocator {
    struct Found {
        var tensors: [(String, TorchTensorReference)]
        var wrapperKey: String?
        var ignoredKeys: [String]
    }

    static let wrapperKeys = ["state_dict", "model"]

    static func locate(in root: PickleValue, file: String) throws -> Found {
        guard case .dict(let top) = root else {
            throw CheckpointError(file: file, reason: .notAStateDict("the pickle holds a \(root.kindName), not a dict of tensors"))
        }
        var stateDict = top
        var wrapperKey: String?
        for key in wrapperKeys {
            if case .dict(let inner)? = top[string: key] {
                stateDict = inner
                wrapperKey = key
                break
            }
        }
        var tensors: [(String, TorchTensorReference)] = []
        var ignored: [String] = []
        var seen: Set<String> = []
        for (key, value) in stateDict.entries {
            guard case .string(let rawName) = key else {
                ignored.append("<\(key.kindName) key>")
                continue
            }
            guard case .tensor(let reference) = value else {
                ignored.append(rawName)
                continue
            }
            var name = Substring(rawName)
            while name.hasPrefix("module.") { name = name.dropFirst("module.".count) }
            guard seen.insert(String(name)).inserted else {
                throw CheckpointError(
                    file: file, tensor: String(name),
                    reason: .notAStateDict("two keys map to the same name after stripping 'module.'"))
            }
            tensors.append((String(name), reference))
        }
        guard !tensors.isEmpty else {
            let keys = top.entries.prefix(10).map { entry -> String in
                if case .string(let s) = entry.key { return s }
                return "<\(entry.key.kindName)>"
            }
            throw CheckpointError(file: file, reason: .notAStateDict("no tensors found (top-level keys: \(keys.joined(separator: ", ")))"))
        }
        return Found(tensors: tensors, wrapperKey: wrapperKey, ignoredKeys: ignored)
    }
}

// MARK: - Storages

/// Loads each storage once (shared storages are decoded once) and gathers tensor views from it.
/// The total number of elements produced is capped relative to the storage sizes, so views repeated
/// many times over one storage cannot exhaust memory.
struct StorageCache {
    let source: any StorageSource
    let bigEndian: Bool
    private var floatStorages: [String: [Float]] = [:]
    private var integerStorages: [String: [Int64]] = [:]
    private var dtypes: [String: SafeTensorsDType] = [:]
    private var storageElements = 0
    private var producedElements = 0

    init(source: any StorageSource, bigEndian: Bool) {
        self.source = source
        self.bigEndian = bigEndian
    }

    mutating func floats(for reference: TorchTensorReference, name: String) throws -> [Float] {
        let key = reference.storage.key
        if floatStorages[key] == nil {
            let raw = try load(reference, name: name)
            floatStorages[key] = reference.storage.dtype.floats(fromRawBytes: raw, bigEndian: bigEndian) ?? []
        }
        let storage = floatStorages[key]!
        try check(reference, storageCount: storage.count, name: name)
        return reference.gather(from: storage)
    }

    mutating func integers(for reference: TorchTensorReference, name: String) throws -> [Int64] {
        let key = reference.storage.key
        if integerStorages[key] == nil {
            let raw = try load(reference, name: name)
            integerStorages[key] = reference.storage.dtype.integers(fromRawBytes: raw, bigEndian: bigEndian) ?? []
        }
        let storage = integerStorages[key]!
        try check(reference, storageCount: storage.count, name: name)
        return reference.gather(from: storage)
    }

    private mutating func load(_ reference: TorchTensorReference, name: String) throws -> [UInt8] {
        let storage = reference.storage
        if let known = dtypes[storage.key], known != storage.dtype {
            throw CheckpointError(
                file: source.file, tensor: name,
                reason: .storageMismatch("storage '\(storage.key)' is used as both \(known.rawValue) and \(storage.dtype.rawValue)"))
        }
        guard storage.key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }), !storage.key.isEmpty else {
            throw CheckpointError(file: source.file, tensor: name, reason: .storageMismatch("invalid storage key '\(storage.key)'"))
        }
        let raw = try source.storageBytes(storage.key)
        let (expected, overflow) = storage.elementCount.multipliedReportingOverflow(by: storage.dtype.byteSize)
        guard !overflow, raw.count == expected else {
            throw CheckpointError(
                file: source.file, tensor: name,
                reason: .storageMismatch(
                    "storage '\(storage.key)' has \(raw.count) bytes, but \(storage.elementCount) × \(storage.dtype.rawValue) needs \(overflow ? "too many" : String(expected))"
                ))
        }
        dtypes[storage.key] = storage.dtype
        storageElements += storage.elementCount
        return raw
    }

    private mutating func check(_ reference: TorchTensorReference, storageCount: Int, name: String) throws {
        if let problem = reference.misfit(storageCount: storageCount) {
            throw CheckpointError(file: source.file, tensor: name, reason: .storageMismatch(problem))
        }
        producedElements += reference.elementCount ?? 0
        guard producedElements <= 4 * storageElements + (1 << 16) else {
            throw CheckpointError(
                file: source.file, tensor: name,
                reason: .limitExceeded("the tensors repeat their storages more than 4 times over"))
        }
    }
}
