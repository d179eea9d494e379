import Foundation

/// The format `torch.save` wrote before PyTorch 1.6 (and still writes with
/// `_use_new_zipfile_serialization=False`): five things in a row,
///
/// 1. a pickled magic number (0x1950a86a20f9469cfc6c), 2. a pickled protocol version (1001),
/// 3. a pickled dict of system information (`little_endian`, `type_sizes`),
/// 4. the pickled object, whose storages are persistent ids `('storage', type, key, location, numel, None)`,
/// 5. the pickled list of storage keys, then each storage in that order: its element count (8 bytes, the
///    file's byte order) and its raw elements.
///
/// Every pickle runs through `RestrictedUnpickler` (the same allow-list and limits as the zip format); every
/// storage is located by key with its size checked against the persistent id and the end of the file.
struct LegacyTorchFile: StorageSource {
    let file: String
    let bigEndian: Bool
    /// Each storage's raw bytes, by key.
    private let storages: [String: ArraySlice<UInt8>]

    /// The magic number's pickle as every protocol-2 writer emits it: PROTO 2, LONG1 of 10 bytes, STOP.
    static let magic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]

    /// Whether `data` starts like a legacy checkpoint.
    static func matches(_ data: Data) -> Bool { data.prefix(magic.count).elementsEqual(magic) }

    /// Reads the file's pickles and locates its storages; `extract` receives the unpickled object (item 4).
    static func read<T>(_ data: Data, file: String, extract: (PickleValue) throws -> T) throws -> (value: T, storages: LegacyTorchFile) {
        let bytes = [UInt8](data)
        func damaged(_ detail: String) -> CheckpointError { CheckpointError(file: file, reason: .legacyMalformed(detail)) }
        guard matches(data) else { throw damaged("it does not start with torch's magic number") }
        let version = try RestrictedUnpickler.load(bytes, from: magic.count, file: file) { value -> Int64? in
            if case .int(let v) = value { return v }
            return nil
        }
        guard version.value == 1001 else { throw damaged("protocol version \(version.value.map(String.init) ?? "missing"), expected 1001") }
        let system = try RestrictedUnpickler.load(bytes, from: version.end, file: file) { value -> Bool? in
            guard case .dict(let info) = value else { return nil }
            if case .bool(let little)? = info[string: "little_endian"] { return !little }
            return false
        }
        guard let bigEndian = system.value else { throw damaged("the system information is not a dict") }
        let object = try RestrictedUnpickler.load(bytes, from: system.end, file: file) { value in
            (try extract(value), Self.storageCounts(in: value))
        }
        let keys = try RestrictedUnpickler.load(bytes, from: object.end, file: file) { value -> [String]? in
            guard case .list(let list) = value else { return nil }
            let strings = list.items.compactMap { item -> String? in
                if case .string(let s) = item { return s }
                return nil
            }
            return strings.count == list.items.count ? strings : nil
        }
        guard let keyList = keys.value else { throw damaged("the list of storage keys is not a list of strings") }
        var storages: [String: ArraySlice<UInt8>] = [:]
        var position = keys.end
        for key in keyList {
            guard position + 8 <= bytes.count else { throw damaged("the file ends before storage '\(key)'") }
            var count: UInt64 = 0
            for i in 0..<8 { count |= UInt64(bytes[position + (bigEndian ? 7 - i : i)]) << (8 * UInt64(i)) }
            position += 8
            guard let declared = object.value.1[key] else { throw damaged("storage '\(key)' is listed but no tensor uses it") }
            guard count == UInt64(declared.count) else {
                throw damaged("storage '\(key)' holds \(count) elements, but its tensors were saved with \(declared.count)")
            }
            let (length, overflow) = declared.count.multipliedReportingOverflow(by: declared.byteSize)
            guard !overflow, length <= bytes.count - position else {
                throw damaged("the file ends inside storage '\(key)' (\(declared.count) elements of \(declared.byteSize) bytes)")
            }
            guard storages[key] == nil else { throw damaged("storage '\(key)' is listed twice") }
            storages[key] = bytes[position..<(position + length)]
            position += length
        }
        guard position == bytes.count else { throw damaged("\(bytes.count - position) bytes follow the last storage") }
        return (object.value.0, LegacyTorchFile(file: file, bigEndian: bigEndian, storages: storages))
    }

    /// The element count and element size each storage key was pickled with.
    private static func storageCounts(in root: PickleValue) -> [String: (count: Int, byteSize: Int)] {
        var out: [String: (count: Int, byteSize: Int)] = [:]
        var pending = [root]
        var seen = 0
        while let value = pending.popLast(), seen < 1 << 22 {
            seen += 1
            switch value {
            case .tensor(let reference): out[reference.storage.key] = (reference.storage.elementCount, reference.storage.dtype.byteSize)
            case .storage(let storage): out[storage.key] = (storage.elementCount, storage.dtype.byteSize)
            case .dict(let dict): pending += dict.entries.map(\.value)
            case .list(let list): pending += list.items
            case .tuple(let tuple): pending += tuple.items
            default: break
            }
        }
        return out
    }

    func storageBytes(_ key: String) throws -> [UInt8] {
        guard let bytes = storages[key] else {
            throw CheckpointError(file: file, reason: .legacyMalformed("storage '\(key)' is not in the file"))
        }
        return Array(bytes)
    }
}
