import Foundation
import ZIPFoundation

/// A small zip reader for the archives `torch.save` writes: stored (uncompressed) entries, ZIP64 records,
/// data descriptors. Every offset and size is checked against the file before use, so a hostile archive
/// yields an error, never a trap or an allocation larger than the file.
///
/// Why not ZIPFoundation's reader: fuzzing showed that ZIPFoundation 0.9.20 traps on hostile central
/// directories (an `off_t` conversion of offsets above `Int64.max`, and negative ranges in its in-memory
/// backing). ZIPFoundation still provides the CRC-32.
struct StoredZipReader {
    struct Entry {
        var path: String
        var method: UInt16
        var crc32: UInt32
        var compressedSize: Int
        var uncompressedSize: Int
        var localHeaderOffset: Int
    }

    /// At most this many central-directory entries are read.
    static let maximumEntries = 1 << 20

    let data: Data
    /// Entries by path; the first entry wins for duplicate paths.
    private(set) var entries: [String: Entry] = [:]

    /// Parses the end-of-central-directory records and the central directory.
    /// - Throws: `Failure` with a short description of the damage.
    init(data: Data) throws {
        self.data = data
        let (count, directoryOffset, directorySize) = try Self.locateDirectory(data)
        guard count <= Self.maximumEntries else { throw Failure("\(count) entries exceed the limit") }
        guard directoryOffset <= data.count, directorySize <= data.count - directoryOffset else {
            throw Failure("central directory lies outside the file")
        }
        var cursor = directoryOffset
        for _ in 0..<count {
            let entry = try Self.readDirectoryEntry(data, at: &cursor, end: directoryOffset + directorySize)
            if entries[entry.path] == nil { entries[entry.path] = entry }
        }
    }

    /// The stored bytes of `entry`, CRC-checked.
    func contents(of entry: Entry) throws -> [UInt8] {
        guard entry.method == 0 else {
            throw Failure("\(entry.path) is compressed (method \(entry.method)); torch.save stores entries uncompressed — re-save the file with torch.save")
        }
        guard entry.compressedSize == entry.uncompressedSize else { throw Failure("\(entry.path): stored sizes disagree") }
        let header = entry.localHeaderOffset
        guard try Self.u32(data, header) == 0x0403_4B50 else { throw Failure("\(entry.path): bad local header signature") }
        let nameLength = Int(try Self.u16(data, header + 26))
        let extraLength = Int(try Self.u16(data, header + 28))
        let start = header + 30 + nameLength + extraLength
        guard start <= data.count, entry.compressedSize <= data.count - start else {
            throw Failure("\(entry.path): data runs past the end of the file (truncated)")
        }
        let begin = data.startIndex + start
        let bytes = data[begin..<(begin + entry.compressedSize)]
        guard Data(bytes).crc32(checksum: 0) == entry.crc32 else { throw Failure("\(entry.path): CRC-32 mismatch") }
        return [UInt8](bytes)
    }

    struct Failure: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    // MARK: - Records

    private static func locateDirectory(_ data: Data) throws -> (count: Int, offset: Int, size: Int) {
        guard data.count >= 22 else { throw Failure("too short for a zip archive (truncated)") }
        let lowest = max(0, data.count - 22 - 0xFFFF)
        var eocd = data.count - 22
        while try u32(data, eocd) != 0x0605_4B50 {
            guard eocd > lowest else { throw Failure("no end-of-central-directory record (truncated)") }
            eocd -= 1
        }
        var count = Int(try u16(data, eocd + 10))
        var size = Int(try u32(data, eocd + 12))
        var offset = Int(try u32(data, eocd + 16))
        // ZIP64: torch.save always writes the ZIP64 records; use them when the locator is present.
        if eocd >= 20, try u32(data, eocd - 20) == 0x0706_4B50 {
            let record = try int(u64(data, eocd - 20 + 8))
            guard try u32(data, record) == 0x0606_4B50 else { throw Failure("bad ZIP64 end-of-central-directory record") }
            count = try int(u64(data, record + 32))
            size = try int(u64(data, record + 40))
            offset = try int(u64(data, record + 48))
        }
        return (count, offset, size)
    }

    private static func readDirectoryEntry(_ data: Data, at cursor: inout Int, end: Int) throws -> Entry {
        let at = cursor
        guard at + 46 <= end else { throw Failure("central directory is shorter than its entry count") }
        guard try u32(data, at) == 0x0201_4B50 else { throw Failure("bad central directory signature") }
        let method = try u16(data, at + 10)
        let crc = try u32(data, at + 16)
        var compressed = UInt64(try u32(data, at + 20))
        var uncompressed = UInt64(try u32(data, at + 24))
        let nameLength = Int(try u16(data, at + 28))
        let extraLength = Int(try u16(data, at + 30))
        let commentLength = Int(try u16(data, at + 32))
        var local = UInt64(try u32(data, at + 42))
        let next = at + 46 + nameLength + extraLength + commentLength
        guard next <= end else { throw Failure("central directory entry runs past the directory") }
        let nameStart = data.startIndex + at + 46
        guard let path = String(validating: data[nameStart..<(nameStart + nameLength)], as: UTF8.self) else {
            throw Failure("entry name is not UTF-8")
        }
        // ZIP64 extended information: 64-bit values for the fields stored as 0xFFFFFFFF, in this order.
        var extra = at + 46 + nameLength
        let extraEnd = extra + extraLength
        while extra + 4 <= extraEnd {
            let id = try u16(data, extra)
            let length = Int(try u16(data, extra + 2))
            guard extra + 4 + length <= extraEnd else { throw Failure("extra field runs past its entry") }
            if id == 0x0001 {
                var field = extra + 4
                func take() throws -> UInt64 {
                    guard field + 8 <= extra + 4 + length else { throw Failure("short ZIP64 extra field") }
                    defer { field += 8 }
                    return try u64(data, field)
                }
                if uncompressed == 0xFFFF_FFFF { uncompressed = try take() }
                if compressed == 0xFFFF_FFFF { compressed = try take() }
                if local == 0xFFFF_FFFF { local = try take() }
            }
            extra += 4 + length
        }
        cursor = next
        return Entry(
            path: path, method: method, crc32: crc, compressedSize: try int(compressed),
            uncompressedSize: try int(uncompressed), localHeaderOffset: try int(local))
    }

    // MARK: - Bounds-checked little-endian loads

    private static func int(_ value: UInt64) throws -> Int {
        guard value <= UInt64(Int32.max) * 1024 else { throw Failure("size or offset \(value) is implausible") }
        return Int(value)
    }

    private static func load(_ data: Data, _ at: Int, _ width: Int) throws -> UInt64 {
        guard at >= 0, width <= data.count, at <= data.count - width else {
            throw Failure("a record lies outside the file (truncated)")
        }
        var value: UInt64 = 0
        let base = data.startIndex + at
        for k in (0..<width).reversed() { value = value << 8 | UInt64(data[base + k]) }
        return value
    }

    private static func u16(_ data: Data, _ at: Int) throws -> UInt16 { UInt16(try load(data, at, 2)) }
    private static func u32(_ data: Data, _ at: Int) throws -> UInt32 { UInt32(try load(data, at, 4)) }
    private static func u64(_ data: Data, _ at: Int) throws -> UInt64 { try load(data, at, 8) }
}
