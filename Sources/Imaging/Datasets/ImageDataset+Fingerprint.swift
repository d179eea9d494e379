import Determinism
import Foundation

/// What identifies a dataset's images: their bytes and their paths below the folder that holds them all, so
/// that a dataset copied, moved or re-provisioned (new modification times) keeps its fingerprint, and a file
/// changed in place does not.
extension ImageDataset {
    /// `"c1:"` and FNV-1a over the count, then each sample's path relative to the samples' common folder,
    /// its size and its bytes. Reads every file once (Kaggle TRAIN: 103 MB), memory-mapped; a file that
    /// cannot be read contributes its path and `-1`.
    public var contentFingerprint: String {
        var hash = FNV1a()
        hash.mix(String(samples.count))
        let base = Self.commonFolder(of: samples.map(\.url))
        for s in samples {
            let path = s.url.standardizedFileURL.path
            hash.mix(path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path)
            guard let bytes = try? Data(contentsOf: s.url, options: .alwaysMapped) else {
                hash.mix("-1")
                continue
            }
            hash.mix(String(bytes.count))
            bytes.withUnsafeBytes { raw in
                var i = 0
                while i + 8 <= raw.count {
                    hash.mix(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                    i += 8
                }
                while i < raw.count {
                    hash.mix(UInt64(raw[i]))
                    i += 1
                }
            }
        }
        return "c1:" + hash.hex
    }

    /// Whether `saved` (a `contentFingerprint`, or the older fingerprint over paths, sizes and modification
    /// times that runs before "c1:" stored) describes these images; `current` is their `contentFingerprint`.
    public func hasFingerprint(_ saved: String, current: String) -> Bool {
        saved.hasPrefix("c1:") ? saved == current : saved == locationFingerprint
    }

    /// The fingerprint runs stored before `contentFingerprint`: absolute paths, sizes and modification times.
    var locationFingerprint: String {
        var hash = FNV1a()
        hash.mix(String(samples.count))
        for s in samples {
            hash.mix(s.url.path)
            let attributes = try? FileManager.default.attributesOfItem(atPath: s.url.path)
            hash.mix(String((attributes?[.size] as? NSNumber)?.intValue ?? -1))
            hash.mix(String((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1))
        }
        return hash.hex
    }

    /// The deepest folder (ending in "/") that contains every URL; "/" when they share nothing else.
    static func commonFolder(of urls: [URL]) -> String {
        guard let first = urls.first else { return "/" }
        var common = first.standardizedFileURL.deletingLastPathComponent().pathComponents
        for url in urls.dropFirst() {
            let parts = url.standardizedFileURL.deletingLastPathComponent().pathComponents
            var n = 0
            while n < min(common.count, parts.count), common[n] == parts[n] { n += 1 }
            if n < common.count { common.removeLast(common.count - n) }
        }
        let joined = common.dropFirst().joined(separator: "/")
        return "/" + joined + (joined.isEmpty ? "" : "/")
    }
}
