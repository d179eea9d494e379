import Compute

/// Values the restricted unpickler builds. Lists and dicts are reference types because a pickle mutates a
/// container after memoising it (BINPUT, then APPENDS/SETITEMS), and later BINGETs must see the result.
/// Tuples are reference types too, so that the unpickler can empty every container when it is done:
/// a value nested a million levels deep would otherwise be released recursively and overflow the stack.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case tuple(PickleTuple)
    case list(PickleList)
    case dict(PickleDict)
    case global(TorchGlobal)
    case storage(TorchStorageReference)
    case tensor(TorchTensorReference)

    /// A short type name for error messages.
    var kindName: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "str"
        case .tuple: "tuple"
        case .list: "list"
        case .dict: "dict"
        case .global(let g): g.qualifiedName
        case .storage: "storage"
        case .tensor: "tensor"
        }
    }
}

/// A pickled tuple (immutable in Python; a class here only so that nesting can be torn down iteratively).
final class PickleTuple {
    var items: [PickleValue]
    init(_ items: [PickleValue]) { self.items = items }
}

/// A pickled list (mutable, shared by memo references).
final class PickleList {
    var items: [PickleValue] = []
}

/// A pickled dict or OrderedDict, keeping insertion order (mutable, shared by memo references).
final class PickleDict {
    private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    private var stringIndex: [String: Int] = [:]
    private var intIndex: [Int64: Int] = [:]

    /// Sets `key` to `value`, replacing an earlier string or int key in place (Python dict semantics).
    func set(_ key: PickleValue, _ value: PickleValue) {
        switch key {
        case .string(let s):
            if let i = stringIndex[s] {
                entries[i].value = value
                return
            }
            stringIndex[s] = entries.count
        case .int(let n):
            if let i = intIndex[n] {
                entries[i].value = value
                return
            }
            intIndex[n] = entries.count
        default:
            break
        }
        entries.append((key, value))
    }

    /// The value for a string key.
    subscript(string key: String) -> PickleValue? {
        stringIndex[key].map { entries[$0].value }
    }

    /// Drops all contents (breaks reference cycles a hostile pickle may have built).
    func removeAll() {
        entries = []
        stringIndex = [:]
        intIndex = [:]
    }
}

/// The only globals a checkpoint pickle may name. Resolving one creates a marker value; nothing is imported or run.
enum TorchGlobal: Equatable {
    case orderedDict
    case rebuildTensorV2
    case rebuildParameter
    case storageType(SafeTensorsDType, name: String)
    case dtype(SafeTensorsDType, name: String)

    /// Resolves `module.name`, or nil when it is not allowed.
    static func resolve(module: String, name: String) -> TorchGlobal? {
        switch (module, name) {
        case ("collections", "OrderedDict"): return .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): return .rebuildTensorV2
        case ("torch._utils", "_rebuild_parameter"): return .rebuildParameter
        case ("torch", _):
            if let dtype = storageTypes[name] { return .storageType(dtype, name: name) }
            if let dtype = floatDTypes[name] { return .dtype(dtype, name: name) }
            return nil
        default:
            return nil
        }
    }

    var qualifiedName: String {
        switch self {
        case .orderedDict: "collections.OrderedDict"
        case .rebuildTensorV2: "torch._utils._rebuild_tensor_v2"
        case .rebuildParameter: "torch._utils._rebuild_parameter"
        case .storageType(_, let name), .dtype(_, let name): "torch.\(name)"
        }
    }

    private static let storageTypes: [String: SafeTensorsDType] = [
        "FloatStorage": .F32, "HalfStorage": .F16, "BFloat16Storage": .BF16, "DoubleStorage": .F64,
        "LongStorage": .I64, "IntStorage": .I32, "ShortStorage": .I16, "CharStorage": .I8,
        "ByteStorage": .U8, "BoolStorage": .BOOL,
    ]
    private static let floatDTypes: [String: SafeTensorsDType] = [
        "float32": .F32, "float": .F32, "float16": .F16, "half": .F16, "bfloat16": .BF16,
        "float64": .F64, "double": .F64,
    ]
}

/// A storage named by a persistent id: `('storage', torch.FloatStorage, '0', 'cpu', numel)`.
struct TorchStorageReference: Equatable {
    var key: String
    var dtype: SafeTensorsDType
    var elementCount: Int
}

/// A tensor rebuilt by `_rebuild_tensor_v2(storage, offset, size, stride, …)`: a strided view of a storage.
struct TorchTensorReference: Equatable {
    var storage: TorchStorageReference
    var offset: Int
    var shape: [Int]
    var strides: [Int]
}
