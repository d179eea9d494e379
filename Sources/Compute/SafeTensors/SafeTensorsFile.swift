import Foundation

/// A safetensors file opened for reading: its validated header, metadata, and tensor data.
///
/// Layout: 8-byte little-endian header length `n`, `n` bytes of JSON header, then the raw little-endian data.
/// Everything is validated on open (header length against the file size, JSON shape, dtypes, byte counts,
/// offsets in bounds and non-overlapping), so the accessors only fail on a wrong name or kind.
///
/// ```swift
/// let file = try SafeTensorsFile(contentsOf: url)
/// let weight = try file.floatTensor(named: "conv1.weight")   // F32/F16/BF16/F64 → float32
/// let steps = try file.integerTensor(named: "bn1.num_batches_tracked")
/// ```
public struct SafeTensorsFile: Sendable {
    /// One tensor's header entry.
    public struct Entry: Sendable, Equatable {
        /// The tensor name.
        public let name: String
        /// The stored element type.
        public let dtype: SafeTensorsDType
        /// The shape, outermost first; `[]` is a scalar.
        public let shape: [Int]
        /// Byte range within the data section.
        public let dataOffsets: Range<Int>
    }

    /// Header lengths above this are refused (the reference implementation uses the same limit).
    public static let maximumHeaderBytes = 100_000_000

    /// The path (or label) used in error messages.
    public let file: String
    /// The `__metadata__` string map (empty when absent).
    public let metadata: [String: String]
    /// All tensors, sorted by name.
    public let entries: [Entry]
    private let data: Data
    private let dataStart: Int

    /// Opens and validates the file at `url`.
    /// - Throws: `SafeTensorsError` naming the file (and tensor) when anything is malformed.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw SafeTensorsError(file: url.path, reason: .io("cannot read the file (\(error.localizedDescription))"))
        }
        try self.init(data: data, file: url.path)
    }

    /// Parses and validates safetensors bytes held in memory; `file` labels errors.
    public init(data: Data, file: String = "<memory>") throws {
        self.file = file
        guard data.count >= 8 else {
            throw SafeTensorsError(file: file, reason: .truncated(expectedBytes: 8, actualBytes: data.count))
        }
        let headerLength: UInt64 = data.withUnsafeBytes { RawBytes.uint64($0, 0) }
        guard headerLength > 0, headerLength <= UInt64(Self.maximumHeaderBytes) else {
            throw SafeTensorsError(file: file, reason: .headerLengthInvalid(headerLength))
        }
        guard headerLength <= UInt64(data.count - 8) else {
            throw SafeTensorsError(file: file, reason: .truncated(expectedBytes: 8 + headerLength, actualBytes: data.count))
        }
        let start = data.startIndex
        let headerBytes = data[(start + 8)..<(start + 8 + Int(headerLength))]
        let header: JSONValue
        do {
            header = try JSONDecoder().decode(JSONValue.self, from: headerBytes)
        } catch {
            throw SafeTensorsError(file: file, reason: .headerMalformed("not valid JSON"))
        }
        guard case .object(let fields) = header else {
            throw SafeTensorsError(file: file, reason: .headerMalformed("the header must be a JSON object"))
        }
        // JSON decoding keeps the last of two equal names; the format forbids them, and readers that keep the
        // first would see another tensor under the same name.
        if let name = Self.firstDuplicateName(headerBytes) {
            throw SafeTensorsError(file: file, tensor: name, reason: .headerMalformed("the name appears more than once in the header"))
        }
        let dataBytes = data.count - 8 - Int(headerLength)
        self.metadata = try Self.parseMetadata(fields["__metadata__"], file: file)
        var entries: [Entry] = []
        entries.reserveCapacity(fields.count)
        for (name, value) in fields where name != "__metadata__" {
            entries.append(try Self.parseEntry(name: name, value: value, dataBytes: dataBytes, file: file))
        }
        try Self.checkNoOverlap(entries, file: file)
        self.entries = entries.sorted { $0.name < $1.name }
        self.data = data
        self.dataStart = 8 + Int(headerLength)
    }

    /// Tensor names, sorted.
    public var names: [String] { entries.map(\.name) }

    /// The header entry for `name`, or nil.
    public func entry(named name: String) -> Entry? {
        entries.first { $0.name == name }
    }

    /// The tensor `name` as float32 (F32 as stored; F16, BF16 and F64 converted).
    /// - Throws: `SafeTensorsError` `.missingTensor`, or `.wrongKind` for an integer dtype.
    public func floatTensor(named name: String) throws -> HostTensor {
        let entry = try requireEntry(name)
        guard entry.dtype.isFloatingPoint else {
            throw SafeTensorsError(file: file, tensor: name, reason: .wrongKind(dtype: entry.dtype, expected: "floating-point"))
        }
        let count = entry.dataOffsets.count / entry.dtype.byteSize
        let values = data.withUnsafeBytes { raw in
            SafeTensorsDType.decodeFloats(
                raw, byteOffset: dataStart + entry.dataOffsets.lowerBound,
                count: count, as: entry.dtype)
        }
        return try HostTensor(shape: entry.shape, values: values)
    }

    /// The tensor `name` as Int64 values (I64, I32, I16, I8, U8, BOOL).
    /// - Throws: `SafeTensorsError` `.missingTensor`, or `.wrongKind` for a float dtype.
    public func integerTensor(named name: String) throws -> HostIntegerTensor {
        let entry = try requireEntry(name)
        guard entry.dtype.isInteger else {
            throw SafeTensorsError(file: file, tensor: name, reason: .wrongKind(dtype: entry.dtype, expected: "integer"))
        }
        let count = entry.dataOffsets.count / entry.dtype.byteSize
        let values = data.withUnsafeBytes { raw in
            SafeTensorsDType.decodeIntegers(
                raw, byteOffset: dataStart + entry.dataOffsets.lowerBound,
                count: count, as: entry.dtype)
        }
        return try HostIntegerTensor(shape: entry.shape, values: values)
    }

    private func requireEntry(_ name: String) throws -> Entry {
        guard let entry = entry(named: name) else {
            throw SafeTensorsError(file: file, tensor: name, reason: .missingTensor)
        }
        return entry
    }
}

// MARK: - Header validation

extension SafeTensorsFile {
    /// The first name that occurs twice among the header object's own keys (nested objects are not
    /// looked at), or nil. `bytes` must be valid JSON with an object at the top.
    static func firstDuplicateName(_ bytes: Data) -> String? {
        var seen = Set<String>()
        var depth = 0
        var inString = false
        var escaped = false
        var stringStart = bytes.startIndex
        var lastString: Range<Data.Index>?
        for i in bytes.indices {
            let c = bytes[i]
            if inString {
                if escaped {
                    escaped = false
                } else if c == UInt8(ascii: "\\") {
                    escaped = true
                } else if c == UInt8(ascii: "\"") {
                    inString = false
                    lastString = stringStart..<(i + 1)
                }
                continue
            }
            switch c {
            case UInt8(ascii: "\""):
                inString = true
                stringStart = i
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: ":") where depth == 1:
                // The string just before a top-level colon is a key. Keys with escapes are decoded, so that
                // "\u0077" and "w" compare equal; the others are their bytes between the quotes.
                guard let range = lastString else { continue }
                let inner = bytes[(range.lowerBound + 1)..<(range.upperBound - 1)]
                let key =
                    inner.contains(UInt8(ascii: "\\"))
                    ? (try? JSONDecoder().decode(String.self, from: bytes[range])) : String(decoding: inner, as: UTF8.self)
                if let key, !seen.insert(key).inserted { return key }
            default: break
            }
        }
        return nil
    }

    private static func parseMetadata(_ value: JSONValue?, file: String) throws -> [String: String] {
        guard let value else { return [:] }
        guard case .object(let fields) = value else {
            throw SafeTensorsError(file: file, reason: .headerMalformed("__metadata__ must be an object of strings"))
        }
        var metadata: [String: String] = [:]
        for (key, item) in fields {
            guard case .string(let text) = item else {
                throw SafeTensorsError(file: file, reason: .headerMalformed("__metadata__ value for '\(key)' is not a string"))
            }
            metadata[key] = text
        }
        return metadata
    }

    private static func parseEntry(name: String, value: JSONValue, dataBytes: Int, file: String) throws -> Entry {
        func malformed(_ detail: String) -> SafeTensorsError {
            SafeTensorsError(file: file, tensor: name, reason: .entryMalformed(detail))
        }
        guard case .object(let fields) = value else { throw malformed("the entry must be an object") }
        guard case .string(let dtypeName)? = fields["dtype"] else { throw malformed("missing string 'dtype'") }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw SafeTensorsError(file: file, tensor: name, reason: .unknownDType(dtypeName))
        }
        guard case .array(let shapeValues)? = fields["shape"] else { throw malformed("missing array 'shape'") }
        let shape = shapeValues.compactMap(\.nonNegativeInt)
        guard shape.count == shapeValues.count else { throw malformed("'shape' must hold non-negative integers") }
        guard case .array(let offsetValues)? = fields["data_offsets"], offsetValues.count == 2,
            let begin = offsetValues[0].nonNegativeInt, let end = offsetValues[1].nonNegativeInt, begin <= end
        else { throw malformed("'data_offsets' must be [begin, end] with 0 ≤ begin ≤ end") }
        guard end <= dataBytes else {
            throw SafeTensorsError(file: file, tensor: name, reason: .offsetsOutOfBounds(begin: begin, end: end, dataBytes: dataBytes))
        }
        guard let count = HostTensor.elementCount(of: shape) else { throw malformed("shape \(shape) overflows") }
        let (expected, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, expected == end - begin else {
            throw SafeTensorsError(
                file: file, tensor: name,
                reason: .byteCountMismatch(expected: overflow ? Int.max : expected, actual: end - begin))
        }
        return Entry(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end)
    }

    private static func checkNoOverlap(_ entries: [Entry], file: String) throws {
        let byStart = entries.filter { !$0.dataOffsets.isEmpty }
            .sorted { ($0.dataOffsets.lowerBound, $0.name) < ($1.dataOffsets.lowerBound, $1.name) }
        for (previous, next) in zip(byStart, byStart.dropFirst())
        where next.dataOffsets.lowerBound < previous.dataOffsets.upperBound {
            throw SafeTensorsError(file: file, tensor: next.name, reason: .overlapping(other: previous.name))
        }
    }
}
