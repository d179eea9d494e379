/// A pickle interpreter for the opcode subset `torch.save` uses for state dicts, with an allow-list of globals.
///
/// Safety: no global outside `TorchGlobal` is resolved and no code is run; REDUCE only builds marker values.
/// Bounds: the program is read sequentially with every length checked against the remaining input; the memo,
/// the MARK stack and tensor ranks are capped; the interpreter is iterative (no recursion), and every opcode
/// consumes at least one byte, so the run time is linear in the input size.
struct RestrictedUnpickler {
    /// Caps that keep hostile input from exhausting memory.
    struct Limits {
        var maxMemoEntries = 1 << 20
        var maxMarkDepth = 1 << 12
        var maxTensorRank = 32
    }

    private let bytes: [UInt8]
    private let file: String
    private let limits: Limits
    private var position = 0
    private var opcodeStart = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [UInt32: PickleValue] = [:]
    /// Every container built, so that `run` can break reference cycles when it is done.
    private var tuples: [PickleTuple] = []
    private var lists: [PickleList] = []
    private var dicts: [PickleDict] = []

    init(bytes: [UInt8], file: String, limits: Limits = Limits(), start: Int = 0) {
        self.bytes = bytes
        self.file = file
        self.limits = limits
        self.position = start
    }

    /// Runs the program to STOP and hands the result to `extract`; containers are emptied afterwards, so
    /// `extract` must copy out what it needs (tensor references and names are plain values).
    static func load<T>(
        _ bytes: [UInt8], file: String, limits: Limits = Limits(),
        extract: (PickleValue) throws -> T
    ) throws -> T {
        try load(bytes, from: 0, file: file, limits: limits, extract: extract).value
    }

    /// Runs the program that starts at byte `start` of `bytes` to its STOP, as `load`; also returns where the
    /// program ended (legacy checkpoints are several pickles in a row, then raw storages).
    static func load<T>(
        _ bytes: [UInt8], from start: Int, file: String, limits: Limits = Limits(),
        extract: (PickleValue) throws -> T
    ) throws -> (value: T, end: Int) {
        var machine = RestrictedUnpickler(bytes: bytes, file: file, limits: limits, start: start)
        defer { machine.breakCycles() }
        let result = try machine.run()
        return (try extract(result), machine.position)
    }

    private func breakCycles() {
        for tuple in tuples { tuple.items = [] }
        for list in lists { list.items = [] }
        for dict in dicts { dict.removeAll() }
    }

    // MARK: - Interpreter loop

    private mutating func run() throws -> PickleValue {
        while true {
            opcodeStart = position
            let opcode = try readByte()
            switch opcode {
            case 0x80: _ = try readByte()  // PROTO n
            case 0x95: _ = try readBytes(8)  // FRAME: length only, frames need no special handling
            case 0x7D: push(.dict(newDict()))  // EMPTY_DICT
            case 0x5D: push(.list(newList()))  // EMPTY_LIST
            case 0x29: push(.tuple(newTuple([])))  // EMPTY_TUPLE
            case 0x28:  // MARK
                guard marks.count < limits.maxMarkDepth else { throw limit("MARK nesting deeper than \(limits.maxMarkDepth)") }
                marks.append(stack.count)
            case 0x71: try memoize(UInt32(try readByte()))  // BINPUT
            case 0x72: try memoize(try readUInt32())  // LONG_BINPUT
            case 0x94: try memoize(UInt32(truncatingIfNeeded: memo.count))  // MEMOIZE
            case 0x68: try pushMemo(UInt32(try readByte()))  // BINGET
            case 0x6A: try pushMemo(try readUInt32())  // LONG_BINGET
            case 0x58: push(.string(try readString(length: Int(try readUInt32()))))  // BINUNICODE
            case 0x8C: push(.string(try readString(length: Int(try readByte()))))  // SHORT_BINUNICODE
            case 0x8D:  // BINUNICODE8
                let length = try readUInt64()
                guard length <= UInt64(bytes.count) else { throw malformed("string length \(length) exceeds the input") }
                push(.string(try readString(length: Int(length))))
            case 0x4A: push(.int(Int64(Int32(bitPattern: try readUInt32()))))  // BININT
            case 0x4B: push(.int(Int64(try readByte())))  // BININT1
            case 0x4D:  // BININT2
                let b = Array(try readBytes(2))
                push(.int(Int64(b[0]) | Int64(b[1]) << 8))
            case 0x8A: push(.int(try readLong1()))  // LONG1
            case 0x47:  // BINFLOAT, big-endian
                let b = try readBytes(8)
                push(.float(Double(bitPattern: b.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })))
            case 0x88: push(.bool(true))  // NEWTRUE
            case 0x89: push(.bool(false))  // NEWFALSE
            case 0x4E: push(.none)  // NONE
            case 0x85: push(.tuple(newTuple(try popCount(1))))  // TUPLE1
            case 0x86: push(.tuple(newTuple(try popCount(2))))  // TUPLE2
            case 0x87: push(.tuple(newTuple(try popCount(3))))  // TUPLE3
            case 0x74: push(.tuple(newTuple(try popToMark())))  // TUPLE
            case 0x73:  // SETITEM
                let value = try pop()
                let key = try pop()
                try topDict().set(key, value)
            case 0x75:  // SETITEMS
                let items = try popToMark()
                guard items.count % 2 == 0 else { throw malformed("SETITEMS with an odd number of items") }
                let dict = try topDict()
                for i in stride(from: 0, to: items.count, by: 2) { dict.set(items[i], items[i + 1]) }
            case 0x61:  // APPEND
                let value = try pop()
                try topList().items.append(value)
            case 0x65:  // APPENDS
                let items = try popToMark()
                try topList().items.append(contentsOf: items)
            case 0x63:  // GLOBAL module\nname\n
                let module = try readLine()
                let name = try readLine()
                push(.global(try resolveGlobal(module: module, name: name)))
            case 0x93:  // STACK_GLOBAL
                guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
                    throw malformed("STACK_GLOBAL needs two strings")
                }
                push(.global(try resolveGlobal(module: module, name: name)))
            case 0x52:  // REDUCE
                let arguments = try pop()
                let callable = try pop()
                push(try reduce(callable, arguments))
            case 0x62:  // BUILD: state is dropped (OrderedDict `_metadata`, tensor hooks); the object stays.
                _ = try pop()
                switch try peek() {
                case .dict, .tensor: break
                case let other: throw malformed("BUILD on a \(other.kindName)")
                }
            case 0x51:  // BINPERSID
                push(.storage(try persistentStorage(try pop())))
            case 0x2E:  // STOP
                let result = try pop()
                guard stack.isEmpty, marks.isEmpty else { throw malformed("values left on the stack at STOP") }
                return result
            default:
                throw malformed("opcode 0x\(String(opcode, radix: 16)) is not supported by this restricted reader")
            }
        }
    }

    // MARK: - Allowed callables

    private func resolveGlobal(module: String, name: String) throws -> TorchGlobal {
        guard let global = TorchGlobal.resolve(module: module, name: name) else {
            throw CheckpointError(file: file, reason: .forbiddenGlobal("\(module).\(name)"))
        }
        return global
    }

    private mutating func reduce(_ callable: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
        guard case .global(let global) = callable else { throw malformed("REDUCE on a \(callable.kindName), not a callable") }
        guard case .tuple(let argumentTuple) = arguments else { throw malformed("REDUCE arguments must be a tuple") }
        let args = argumentTuple.items
        switch global {
        case .orderedDict:
            guard args.isEmpty else { throw malformed("OrderedDict(...) with arguments is not supported") }
            return .dict(newDict())
        case .rebuildParameter:
            guard let first = args.first, case .tensor = first else { throw malformed("_rebuild_parameter needs a tensor") }
            return first
        case .rebuildTensorV2:
            return .tensor(try rebuildTensor(args))
        case .storageType, .dtype:
            throw malformed("\(global.qualifiedName) cannot be called")
        }
    }

    private func rebuildTensor(_ args: [PickleValue]) throws -> TorchTensorReference {
        guard args.count >= 4, case .storage(let storage) = args[0], case .int(let offset) = args[1],
            case .tuple(let sizeTuple) = args[2], case .tuple(let strideTuple) = args[3]
        else {
            throw malformed("_rebuild_tensor_v2 needs (storage, offset, size, stride, …)")
        }
        let sizeValues = sizeTuple.items
        let strideValues = strideTuple.items
        guard sizeValues.count == strideValues.count else { throw malformed("size and stride ranks differ") }
        guard sizeValues.count <= limits.maxTensorRank else { throw limit("tensor rank \(sizeValues.count)") }
        func nonNegative(_ values: [PickleValue], _ what: String) throws -> [Int] {
            try values.map {
                guard case .int(let v) = $0, v >= 0, v <= Int64(Int32.max) * 64 else {
                    throw malformed("\(what) must be non-negative integers")
                }
                return Int(v)
            }
        }
        guard offset >= 0, offset <= Int64(Int.max / 16) else { throw malformed("negative or huge storage offset") }
        return TorchTensorReference(
            storage: storage, offset: Int(offset),
            shape: try nonNegative(sizeValues, "sizes"), strides: try nonNegative(strideValues, "strides"))
    }

    /// `('storage', type, key, location, numel)`, or in legacy files the same with a sixth item, the view
    /// metadata, which PyTorch 0.4 and later leave None.
    private func persistentStorage(_ id: PickleValue) throws -> TorchStorageReference {
        guard case .tuple(let tuple) = id, tuple.items.count == 5 || tuple.items.count == 6, case .string("storage") = tuple.items[0] else {
            throw malformed("persistent id is not ('storage', type, key, location, numel)")
        }
        let parts = tuple.items
        if parts.count == 6 {
            guard case PickleValue.none = parts[5] else {
                throw malformed("a storage view (legacy view metadata, written before PyTorch 0.4) is not supported; re-save the file")
            }
        }
        guard case .global(.storageType(let dtype, _)) = parts[1] else { throw malformed("persistent id without a storage type") }
        guard case .string(let key) = parts[2], case .string = parts[3],
            case .int(let count) = parts[4], count >= 0, count <= Int64(Int.max / 16)
        else {
            throw malformed("persistent id with a bad key, location or element count")
        }
        return TorchStorageReference(key: key, dtype: dtype, elementCount: Int(count))
    }

    // MARK: - Stack and memo

    private mutating func push(_ value: PickleValue) { stack.append(value) }

    private mutating func pop() throws -> PickleValue {
        guard let value = stack.popLast() else { throw malformed("stack underflow") }
        if let mark = marks.last, stack.count < mark { throw malformed("popped past a MARK") }
        return value
    }

    private func peek() throws -> PickleValue {
        guard let value = stack.last else { throw malformed("stack underflow") }
        return value
    }

    private mutating func popCount(_ n: Int) throws -> [PickleValue] {
        let floor = marks.last ?? 0
        guard stack.count - n >= floor else { throw malformed("stack underflow") }
        let items = Array(stack.suffix(n))
        stack.removeLast(n)
        return items
    }

    private mutating func popToMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw malformed("no MARK on the stack") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private func topDict() throws -> PickleDict {
        guard case .dict(let dict) = try peek() else { throw malformed("SETITEM(S) on a non-dict") }
        return dict
    }

    private func topList() throws -> PickleList {
        guard case .list(let list) = try peek() else { throw malformed("APPEND(S) on a non-list") }
        return list
    }

    private mutating func memoize(_ index: UInt32) throws {
        guard memo.count < limits.maxMemoEntries || memo[index] != nil else {
            throw limit("more than \(limits.maxMemoEntries) memo entries")
        }
        memo[index] = try peek()
    }

    private mutating func pushMemo(_ index: UInt32) throws {
        guard let value = memo[index] else { throw malformed("memo entry \(index) was never stored") }
        push(value)
    }

    private mutating func newDict() -> PickleDict {
        let dict = PickleDict()
        dicts.append(dict)
        return dict
    }

    private mutating func newTuple(_ items: [PickleValue]) -> PickleTuple {
        let tuple = PickleTuple(items)
        tuples.append(tuple)
        return tuple
    }

    private mutating func newList() -> PickleList {
        let list = PickleList()
        lists.append(list)
        return list
    }

    // MARK: - Reading the program

    private mutating func readByte() throws -> UInt8 {
        guard position < bytes.count else { throw malformed("unexpected end of the pickle (no STOP)") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func readBytes(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= bytes.count - position else { throw malformed("needs \(n) bytes, \(bytes.count - position) left") }
        defer { position += n }
        return bytes[position..<(position + n)]
    }

    private mutating func readUInt32() throws -> UInt32 {
        try readBytes(4).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    private mutating func readUInt64() throws -> UInt64 {
        try readBytes(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// LONG1: a little-endian two's-complement integer of n ≤ 8 bytes.
    private mutating func readLong1() throws -> Int64 {
        let n = Int(try readByte())
        guard n <= 8 else { throw malformed("integer of \(n) bytes is too large") }
        let b = try readBytes(n)
        guard n > 0 else { return 0 }
        var value = b.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        if n < 8, b.last! & 0x80 != 0 { value |= ~UInt64(0) << UInt64(8 * n) }  // sign-extend
        return Int64(bitPattern: value)
    }

    private mutating func readString(length: Int) throws -> String {
        let raw = try readBytes(length)
        guard let text = String(validating: raw, as: UTF8.self) else { throw malformed("string is not valid UTF-8") }
        return text
    }

    /// A newline-terminated ASCII line (GLOBAL operands), at most 256 bytes.
    private mutating func readLine() throws -> String {
        let end = min(bytes.count, position + 257)
        guard let newline = bytes[position..<end].firstIndex(of: 0x0A) else {
            throw malformed("GLOBAL operand without a newline within 256 bytes")
        }
        let line = try readString(length: newline - position)
        position += 1
        return line
    }

    private func malformed(_ detail: String) -> CheckpointError {
        CheckpointError(file: file, reason: .pickleMalformed(offset: opcodeStart, detail: detail))
    }

    private func limit(_ detail: String) -> CheckpointError {
        CheckpointError(file: file, reason: .limitExceeded(detail))
    }
}
