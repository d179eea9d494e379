import Foundation

/// One image file and its class index (into `ImageDataset.classNames`), `nil` when unlabelled.
public struct ImageSample: Sendable, Hashable, Codable {
    public var url: URL
    public var label: Int?
    public init(url: URL, label: Int? = nil) {
        self.url = url
        self.label = label
    }
}

/// A list of image files with optional labels, plus what was skipped while listing them.
///
/// ```swift
/// let train = try ImageDataset.imageFolder(at: URL(fileURLWithPath: "TRAIN"))   // ROOT/<class>/<image>
/// print(train.classNames, train.samples.count, train.skipped)
/// let (fit, validation) = train.stratifiedSplit(validationFraction: 0.1, seed: 1)
/// ```
public struct ImageDataset: Sendable {
    /// The images, in a deterministic order (class, then file name).
    public var samples: [ImageSample]
    /// Class names (sorted folder names or cell types); empty for unlabelled data.
    public var classNames: [String]
    /// Files and folders left out while listing (empty class folder, zero-byte file, missing path, …).
    public var skipped: SkipReport
    /// What was read but may not be what was meant (e.g. a labels.csv that is not UTF-8); shown, never fatal.
    public var warnings: [String] = []

    public init(samples: [ImageSample], classNames: [String] = [], skipped: SkipReport = SkipReport(), warnings: [String] = []) {
        self.samples = samples
        self.classNames = classNames
        self.skipped = skipped
        self.warnings = warnings
    }

    /// `true` when every sample has a label.
    public var isLabelled: Bool { !classNames.isEmpty && samples.allSatisfy { $0.label != nil } }

    /// Number of samples per class index (unlabelled samples under `nil`).
    public var countsByLabel: [Int?: Int] { samples.reduce(into: [:]) { $0[$1.label, default: 0] += 1 } }

    // MARK: - Listing

    /// `ROOT/<class>/<image>`: class = sub-folder name, classes sorted; extensions jpg/jpeg/png/bmp in any case;
    /// hidden files skipped silently; an empty class folder and zero-byte files are recorded in `skipped`
    /// (or thrown when `strict`). Throws when ROOT is missing or holds no images at all.
    public static func imageFolder(at root: URL, strict: Bool = false) throws(ImageLoadError) -> ImageDataset {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: root.path, isDirectory: &isDir), isDir.boolValue else {
            throw ImageLoadError(path: root.path, reason: .missing)
        }
        let classFolders = visibleEntries(of: root).filter { isDirectory($0) }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        var samples: [ImageSample] = []
        var classNames: [String] = []
        var skipped = SkipReport()
        for loose in imageFiles(in: root).files {
            let e = ImageLoadError(path: loose.path, reason: .outsideClassFolders)
            if strict { throw e }
            skipped.append(e)
        }
        for folder in classFolders {
            let (files, bad) = imageFiles(in: folder)
            for e in bad {
                if strict { throw e }
                skipped.append(e)
            }
            guard !files.isEmpty else {
                let e = ImageLoadError(path: folder.path, reason: .emptyClassFolder)
                if strict { throw e }
                skipped.append(e)
                continue
            }
            let label = classNames.count
            classNames.append(folder.lastPathComponent)
            samples += files.map { ImageSample(url: $0, label: label) }
        }
        guard !samples.isEmpty else { throw ImageLoadError(path: root.path, reason: .noImages) }
        return ImageDataset(samples: samples, classNames: classNames, skipped: skipped)
    }

    /// The images directly inside `folder` (no labels), sorted by name.
    public static func flatFolder(at folder: URL, strict: Bool = false) throws(ImageLoadError) -> ImageDataset {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDir), isDir.boolValue else {
            throw ImageLoadError(path: folder.path, reason: .missing)
        }
        let (files, bad) = imageFiles(in: folder)
        var skipped = SkipReport()
        for e in bad {
            if strict { throw e }
            skipped.append(e)
        }
        guard !files.isEmpty else { throw ImageLoadError(path: folder.path, reason: .noImages) }
        return ImageDataset(samples: files.map { ImageSample(url: $0) }, skipped: skipped)
    }

    /// An explicit list of files and/or folders (folders are read flat), in the order given, no labels.
    /// Missing paths and zero-byte files are recorded in `skipped` (or thrown when `strict`).
    public static func files(_ urls: [URL], strict: Bool = false) throws(ImageLoadError) -> ImageDataset {
        var samples: [ImageSample] = []
        var skipped = SkipReport()
        for url in urls {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
                let e = ImageLoadError(path: url.path, reason: .missing)
                if strict { throw e }
                skipped.append(e)
                continue
            }
            if isDir.boolValue {
                let (files, bad) = imageFiles(in: url)
                for e in bad {
                    if strict { throw e }
                    skipped.append(e)
                }
                if files.isEmpty {
                    let e = ImageLoadError(path: url.path, reason: .noImages)
                    if strict { throw e }
                    skipped.append(e)
                }
                samples += files.map { ImageSample(url: $0) }
            } else if fileSize(url) == 0 {
                let e = ImageLoadError(path: url.path, reason: .decoding(.empty))
                if strict { throw e }
                skipped.append(e)
            } else {
                samples.append(ImageSample(url: url))
            }
        }
        guard !samples.isEmpty else {
            throw ImageLoadError(path: urls.map(\.path).joined(separator: ", "), reason: .noImages)
        }
        return ImageDataset(samples: samples, skipped: skipped)
    }

    /// Opens `path` the natural way: a `labels.csv` file (images looked up next to it in
    /// `JPEGImages/`, else beside the file), an ImageFolder root (sub-folders with images) or a flat folder.
    /// Sub-folders without images (e.g. an output folder written into the data folder) do not make an
    /// ImageFolder; a single image file is read as a one-image set.
    public static func open(_ path: URL, strict: Bool = false) throws(ImageLoadError) -> ImageDataset {
        if path.pathExtension.lowercased() == "csv" {
            return try LabelsTable.read(path).dataset(strict: strict)
        }
        if FileManager.default.fileExists(atPath: path.path), !isDirectory(path) {
            return try files([path], strict: strict)
        }
        let hasClassFolders = visibleEntries(of: path).contains { isDirectory($0) && !imageFiles(in: $0).files.isEmpty }
        return hasClassFolders ? try imageFolder(at: path, strict: strict) : try flatFolder(at: path, strict: strict)
    }

    // MARK: - File-system helpers

    static func visibleEntries(of folder: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.map { folder.appendingPathComponent($0) }
    }

    static func isDirectory(_ url: URL) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) && isDir.boolValue
    }

    static func fileSize(_ url: URL) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue
    }

    /// Image files directly in `folder` by extension, sorted by name; zero-byte ones returned as errors.
    static func imageFiles(in folder: URL) -> (files: [URL], bad: [ImageLoadError]) {
        var files: [URL] = []
        var bad: [ImageLoadError] = []
        let candidates = visibleEntries(of: folder)
            .filter { ImageFormat.fileExtensions.contains($0.pathExtension.lowercased()) && !isDirectory($0) }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        for url in candidates {
            if fileSize(url) == 0 {
                bad.append(ImageLoadError(path: url.path, reason: .decoding(.empty)))
            } else {
                files.append(url)
            }
        }
        return (files, bad)
    }
}
