/// One file or folder that a dataset or loader skipped, with the reason.
public struct ImageLoadError: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    /// Why the path was skipped.
    public enum Reason: Sendable, Equatable, Codable, CustomStringConvertible {
        /// The file could not be read (permissions, vanished, …).
        case unreadable(String)
        /// The bytes are not a decodable image (see `ImageDecodingError`).
        case decoding(ImageDecodingError)
        /// A class folder holds no image files.
        case emptyClassFolder
        /// A folder holds no image files at all.
        case noImages
        /// A folder or file listed as input does not exist.
        case missing
        /// The preprocessing settings do not fit the image (e.g. dataset statistics for another size).
        case settings(String)
        /// An image beside the class folders of an ImageFolder root, which gives it no class.
        case outsideClassFolders
        /// A labels.csv row that was not used as written, or a table that cannot be used (the text says why).
        case labels(String)

        public var description: String {
            switch self {
            case .unreadable(let d): return "cannot read the file (\(d)); check that it exists and is readable"
            case .decoding(let e): return e.description
            case .emptyClassFolder: return "class folder contains no .jpg/.jpeg/.png/.bmp images; remove it or add images"
            case .noImages: return "folder contains no .jpg/.jpeg/.png/.bmp images; point to a folder of images or to ROOT/<class>/<image>"
            case .missing: return "no such file or folder; check the path"
            case .settings(let d): return d
            case .outsideClassFolders:
                return "an image beside the class folders, so it has no class; move it into one (ROOT/<class>/<image>), or point to a folder of images only"
            case .labels(let d): return d
            }
        }

        /// A short category name for summaries ("truncated", "too large", …).
        public var category: String {
            switch self {
            case .unreadable: return "unreadable"
            case .emptyClassFolder: return "empty class folder"
            case .noImages: return "no images"
            case .missing: return "missing"
            case .settings: return "settings"
            case .outsideClassFolders: return "outside class folders"
            case .labels: return "labels.csv"
            case .decoding(let e):
                switch e {
                case .empty: return "zero-byte"
                case .unknownFormat: return "not an image"
                case .truncated: return "truncated"
                case .corrupt: return "corrupt"
                case .tooLarge: return "too large"
                case .unsupported: return "unsupported"
                }
            }
        }
    }

    /// The file or folder concerned.
    public var path: String
    /// Why it was skipped.
    public var reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}

/// Collected skips for one run, with a printable summary. `strict` runs throw the first one instead.
public struct SkipReport: Sendable, Equatable, CustomStringConvertible {
    /// Everything skipped, in the order met.
    public private(set) var errors: [ImageLoadError] = []

    public init(errors: [ImageLoadError] = []) { self.errors = errors }

    /// Adds one skip.
    public mutating func append(_ error: ImageLoadError) { errors.append(error) }
    /// Adds several skips.
    public mutating func append(contentsOf other: [ImageLoadError]) { errors.append(contentsOf: other) }

    /// `true` when nothing was skipped.
    public var isEmpty: Bool { errors.isEmpty }

    /// Number of skips per reason category, e.g. `["truncated": 2]`.
    public var countsByCategory: [String: Int] {
        errors.reduce(into: [:]) { $0[$1.reason.category, default: 0] += 1 }
    }

    /// "Skipped 3 (truncated 2, zero-byte 1):" followed by one line per path; "Nothing skipped." when empty.
    public var description: String {
        guard !errors.isEmpty else { return "Nothing skipped." }
        let counts = countsByCategory.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return (["Skipped \(errors.count) (\(counts)):"] + errors.map { "  \($0)" }).joined(separator: "\n")
    }
}
