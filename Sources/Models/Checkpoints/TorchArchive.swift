import Foundation

/// The zip container `torch.save` writes (since PyTorch 1.6): `<prefix>/data.pkl`, `<prefix>/data/<key>`,
/// `<prefix>/byteorder`, `<prefix>/version`, read through the bounds-checked `StoredZipReader`.
struct TorchArchive: StorageSource {
    let file: String
    /// The archive's top folder including the trailing slash, e.g. `resnet50/`.
    let prefix: String
    private let zip: StoredZipReader

    init(data: Data, file: String) throws {
        self.file = file
        do {
            zip = try StoredZipReader(data: data)
        } catch let failure as StoredZipReader.Failure {
            throw CheckpointError(file: file, reason: .archiveMalformed(failure.message))
        }
        let pickles = zip.entries.keys.filter { path in
            let parts = path.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == 2 && parts[1] == "data.pkl" && !parts[0].isEmpty
        }.sorted()
        guard let picklePath = pickles.first else {
            throw CheckpointError(file: file, reason: .missingEntry("<archive>/data.pkl"))
        }
        self.prefix = String(picklePath.dropLast("data.pkl".count))
    }

    /// The byte order of the storages (`<prefix>/byteorder`; older writers: little-endian).
    var bigEndian: Bool {
        get throws {
            guard contains("byteorder") else { return false }
            let text = String(decoding: try read("byteorder").prefix(16), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            switch text {
            case "little": return false
            case "big": return true
            default: throw CheckpointError(file: file, reason: .archiveMalformed("byteorder is '\(text)', expected little or big"))
            }
        }
    }

    func storageBytes(_ key: String) throws -> [UInt8] { try read("data/\(key)") }

    /// Whether `<prefix>/<path>` exists.
    func contains(_ path: String) -> Bool { zip.entries[prefix + path] != nil }

    /// The bytes of `<prefix>/<path>`.
    func read(_ path: String) throws -> [UInt8] {
        guard let entry = zip.entries[prefix + path] else {
            throw CheckpointError(file: file, reason: .missingEntry(prefix + path))
        }
        do {
            return try zip.contents(of: entry)
        } catch let failure as StoredZipReader.Failure {
            throw CheckpointError(file: file, reason: .archiveMalformed(failure.message))
        }
    }
}
