import Foundation
import ZIPFoundation

/// The zip container `torch.save` writes (since PyTorch 1.6): `<prefix>/data.pkl`, `<prefix>/data/<key>`,
/// `<prefix>/byteorder`, `<prefix>/version`. Entries are read fully bounded: only stored (uncompressed)
/// regular files no larger than the archive itself, with their CRC-32 checked.
struct TorchArchive {
    /// At most this many zip entries are indexed.
    static let maximumEntries = 1 << 20

    let file: String
    /// The archive's top folder including the trailing slash, e.g. `resnet50/`.
    let prefix: String
    private let archive: Archive
    private let entries: [String: Entry]
    private let archiveBytes: Int

    init(data: Data, file: String) throws {
        self.file = file
        self.archiveBytes = data.count
        let archive: Archive
        do {
            archive = try Archive(data: data, accessMode: .read)
        } catch {
            throw CheckpointError(file: file, reason: .archiveMalformed("cannot read the zip directory: \(error)"))
        }
        var entries: [String: Entry] = [:]
        for entry in archive {
            guard entries.count < Self.maximumEntries else {
                throw CheckpointError(file: file, reason: .limitExceeded("more than \(Self.maximumEntries) zip entries"))
            }
            if entries[entry.path] == nil { entries[entry.path] = entry }
        }
        let pickles = entries.keys.filter { path in
            let parts = path.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == 2 && parts[1] == "data.pkl" && !parts[0].isEmpty
        }.sorted()
        guard let picklePath = pickles.first else {
            throw CheckpointError(file: file, reason: .missingEntry("<archive>/data.pkl"))
        }
        self.prefix = String(picklePath.dropLast("data.pkl".count))
        self.archive = archive
        self.entries = entries
    }

    /// Whether `<prefix>/<path>` exists.
    func contains(_ path: String) -> Bool { entries[prefix + path] != nil }

    /// The bytes of `<prefix>/<path>`.
    func read(_ path: String) throws -> [UInt8] {
        let fullPath = prefix + path
        guard let entry = entries[fullPath] else {
            throw CheckpointError(file: file, reason: .missingEntry(fullPath))
        }
        func damaged(_ detail: String) -> CheckpointError {
            CheckpointError(file: file, reason: .archiveMalformed("\(fullPath): \(detail)"))
        }
        guard entry.type == .file else { throw damaged("not a regular file") }
        guard !entry.isCompressed else {
            throw damaged("compressed entries are not supported (torch.save stores entries uncompressed); re-save with torch.save")
        }
        let size = entry.uncompressedSize
        guard size <= UInt64(archiveBytes), entry.compressedSize == size else {
            throw damaged("declared size \(size) exceeds the \(archiveBytes)-byte archive")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(size))
        let checksum: CRC32
        do {
            checksum = try archive.extract(entry, bufferSize: 1 << 20, skipCRC32: false) { chunk in
                guard !chunk.isEmpty || bytes.count == Int(size) else { throw TruncatedEntry() }
                guard bytes.count + chunk.count <= Int(size) else { throw TruncatedEntry() }
                bytes.append(contentsOf: chunk)
            }
        } catch is TruncatedEntry {
            throw damaged("truncated")
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw damaged("\(error)")
        }
        guard bytes.count == Int(size) else { throw damaged("truncated") }
        guard checksum == entry.checksum else { throw damaged("CRC-32 mismatch") }
        return bytes
    }

    private struct TruncatedEntry: Error {}
}
