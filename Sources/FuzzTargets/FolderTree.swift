import Foundation

/// A directory tree described by fuzz bytes, written under a scratch folder, for fuzzing the ImageFolder walker.
///
/// The bytes are a list of entries. Each entry is a kind byte (low two bits: 0 folder, 1 file, 2 symbolic link,
/// 3 labels.csv), a parent byte (which earlier folder holds it, modulo the folders so far; 0 is the root), a
/// name of up to 24 bytes ended by 0 (bytes that cannot be in a name are dropped; an empty name becomes "x"),
/// and, for files, a length byte and that many content bytes. A link points at an earlier entry, or nowhere.
struct FolderTree {
    enum Kind: UInt8 {
        case folder, file, link, labels
    }

    struct Entry {
        var kind: Kind
        var parent: Int
        var name: String
        var contents: [UInt8]
    }

    var entries: [Entry] = []

    init(_ bytes: [UInt8]) {
        var p = 0
        var folders = 1
        func next() -> UInt8? {
            guard p < bytes.count else { return nil }
            defer { p += 1 }
            return bytes[p]
        }
        while entries.count < 64, let k = next(), let parent = next() {
            let kind = Kind(rawValue: k & 3)!
            var name: [UInt8] = []
            while let b = next(), b != 0 { if name.count < 24, b != 0x2F { name.append(b) } }
            var text = String(decoding: name, as: UTF8.self)
            if text.isEmpty || text == "." || text == ".." { text = "x" + text }
            var contents: [UInt8] = []
            if kind == .file || kind == .labels, let length = next() {
                contents = Array(bytes[p..<min(bytes.count, p + Int(length))])
                p += contents.count
            }
            entries.append(Entry(kind: kind, parent: Int(parent) % folders, name: kind == .labels ? "labels.csv" : text, contents: contents))
            if kind == .folder { folders += 1 }
        }
    }

    /// Writes the tree under `root` (which must exist); entries that cannot be made (a name taken twice) are
    /// left out, as a user's file system would refuse them.
    func write(under root: URL) {
        let fm = FileManager.default
        var folders = [root]
        var made: [URL] = []
        for e in entries {
            let url = folders[e.parent].appendingPathComponent(e.name)
            switch e.kind {
            case .folder:
                if (try? fm.createDirectory(at: url, withIntermediateDirectories: false)) != nil {
                    folders.append(url)
                } else {
                    folders.append(root)
                }
            case .file, .labels:
                fm.createFile(atPath: url.path, contents: Data(e.contents))
            case .link:
                let target = made.isEmpty ? "/nonexistent-wbc-fuzz" : made[e.contents.count % made.count].path
                try? fm.createSymbolicLink(atPath: url.path, withDestinationPath: target)
            }
            made.append(url)
        }
    }
}
