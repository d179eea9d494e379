import Determinism
import Foundation

/// An on-disk cache of preprocessed (decoded, cropped, resized) S×S RGB8 images, one file, read by
/// offset from a memory map, so later epochs do not decode again.
///
/// Layout: `"WBCPREP1"` (8 bytes), header offset (UInt64 LE), header length (UInt64 LE), padding to 64;
/// then `count × S × S × 3` bytes of pixels (entry i at `64 + i·S·S·3`; zeros for failed entries);
/// then the JSON header (`Header`). The header records the preprocessing settings and a fingerprint
/// of the images (`ImageDataset.contentFingerprint`); any mismatch means the cache is stale and is rebuilt.
///
/// ```swift
/// let cache = try PreprocessedCache.openOrBuild(at: runDir.appendingPathComponent("prep.cache"),
///                                               dataset: train, options: PreprocessOptions(side: 224, crop: .nucleus))
/// ```
public struct PreprocessedCache: Sendable {
    struct Header: Codable, Equatable {
        var version: Int
        var options: PreprocessOptions
        var fingerprint: String
        var count: Int
        /// Per entry: 1 found, 0 not found, −1 not applicable, −2 failed.
        var status: [Int8]
        var failures: [Int: ImageLoadError]
        /// "path: warning" for the images decoded whole despite a decoder warning, in index order.
        var warnings: [String]
    }

    /// Where the cache lives.
    public let url: URL
    /// The settings the cached images were made with.
    public var options: PreprocessOptions { header.options }
    /// Number of entries (= dataset samples).
    public var count: Int { header.count }
    /// The source images' `ImageDataset.contentFingerprint`.
    public var sourceFingerprint: String { header.fingerprint }
    /// "path: warning" for each image decoded whole despite a decoder warning (`DecodedImage.warning`).
    public var warnings: [String] { header.warnings }
    /// Files that failed while building the cache, in index order.
    public var skipped: SkipReport { SkipReport(errors: header.failures.keys.sorted().compactMap { header.failures[$0] }) }

    let header: Header
    let storage: Data

    static let magic = Array("WBCPREP1".utf8)
    static let dataOffset = 64
    /// 2: EXIF orientation applied, 32-bit BMP alpha composited, decoder warnings kept.
    static let version = 2

    /// Opens the cache at `url` when it matches `dataset` and `options`, else (re)builds it by
    /// preprocessing every sample on `threads` cores, `chunk` images at a time (bounded memory).
    /// With `strict`, the first bad file throws and no cache file is left behind. `fingerprint` is the
    /// dataset's `contentFingerprint` when the caller has it already (it reads every file).
    public static func openOrBuild(
        at url: URL, dataset: ImageDataset, options: PreprocessOptions, strict: Bool = false,
        threads: Int = availableCores, chunk: Int = 64, fingerprint known: String? = nil
    ) throws(ImageLoadError) -> (cache: PreprocessedCache, rebuilt: Bool) {
        let fingerprint = known ?? dataset.contentFingerprint
        if let existing = open(url), existing.header.options == options, existing.header.fingerprint == fingerprint,
            existing.header.count == dataset.samples.count
        {
            return (existing, false)
        }
        try build(at: url, dataset: dataset, options: options, fingerprint: fingerprint, strict: strict, threads: threads, chunk: chunk)
        guard let cache = open(url) else {
            throw ImageLoadError(path: url.path, reason: .unreadable("the cache just written cannot be read back; check free disk space"))
        }
        return (cache, true)
    }

    /// The cache at `url` if it is a readable, complete cache file; `nil` otherwise.
    public static func open(_ url: URL) -> PreprocessedCache? {
        guard let data = try? Data(contentsOf: url, options: .alwaysMapped), data.count >= dataOffset,
            Array(data.prefix(8)) == magic
        else { return nil }
        let headerOffset = Int(readU64(data, 8))
        let headerLength = Int(readU64(data, 16))
        guard headerOffset >= dataOffset, headerLength > 0, headerOffset + headerLength == data.count,
            let header = try? JSONDecoder().decode(Header.self, from: data.subdata(in: headerOffset..<(headerOffset + headerLength))),
            header.version == version, header.status.count == header.count,
            dataOffset + header.count * header.options.side * header.options.side * 3 == headerOffset
        else { return nil }
        return PreprocessedCache(url: url, header: header, storage: data)
    }

    /// Entry `index`: the cached image, or the error met when it was built.
    public func image(at index: Int) -> Result<PreprocessedImage, ImageLoadError> {
        guard index >= 0, index < count else {
            return .failure(ImageLoadError(path: url.path, reason: .unreadable("entry \(index) is outside the cache's \(count) entries")))
        }
        if let failure = header.failures[index] { return .failure(failure) }
        let side = header.options.side
        let size = side * side * 3
        let start = Self.dataOffset + index * size
        let pixels = [UInt8](storage[start..<(start + size)])
        let status = header.status[index]
        return .success(
            PreprocessedImage(
                image: RGBImage(width: side, height: side, pixels: pixels),
                nucleusFound: status < 0 ? nil : status == 1))
    }

    /// Share of cached images where a nucleus was found (`nil` unless the crop mode is `.nucleus`).
    public var nucleusFoundShare: Double? {
        guard header.options.crop == .nucleus else { return nil }
        let valid = header.status.filter { $0 >= 0 }
        return valid.isEmpty ? nil : Double(valid.filter { $0 == 1 }.count) / Double(valid.count)
    }

    // MARK: - Building

    static func build(
        at url: URL, dataset: ImageDataset, options: PreprocessOptions, fingerprint: String,
        strict: Bool, threads: Int, chunk: Int
    ) throws(ImageLoadError) {
        let side = options.side
        let entrySize = side * side * 3
        let partial = url.appendingPathExtension("partial")
        let fm = FileManager.default
        try? fm.removeItem(at: partial)
        guard fm.createFile(atPath: partial.path, contents: nil), let handle = try? FileHandle(forWritingTo: partial) else {
            throw ImageLoadError(path: url.path, reason: .unreadable("cannot create the cache file; check the folder exists and is writable"))
        }
        var header = Header(
            version: version, options: options, fingerprint: fingerprint, count: dataset.samples.count,
            status: [], failures: [:], warnings: [])
        do {
            var prefix = [UInt8](repeating: 0, count: dataOffset)
            prefix.replaceSubrange(0..<8, with: magic)
            try handle.write(contentsOf: prefix)
            let zeros = [UInt8](repeating: 0, count: entrySize)
            var start = 0
            while start < dataset.samples.count {
                let end = min(start + max(1, chunk), dataset.samples.count)
                let urls = dataset.samples[start..<end].map(\.url)
                let results = parallelMap(count: urls.count, threads: threads) { i in
                    Result { () throws(ImageLoadError) in try options.preprocess(urls[i]) }
                }
                for (offset, result) in results.enumerated() {
                    switch result {
                    case .success(let p):
                        try handle.write(contentsOf: p.image.pixels)
                        header.status.append(p.nucleusFound.map { $0 ? 1 : 0 } ?? -1)
                        if let w = p.warning { header.warnings.append("\(urls[offset].path): \(w)") }
                    case .failure(let e):
                        if strict {
                            try? handle.close()
                            try? fm.removeItem(at: partial)
                            throw e
                        }
                        try handle.write(contentsOf: zeros)
                        header.status.append(-2)
                        header.failures[start + offset] = e
                    }
                }
                start = end
            }
            let json = try JSONEncoder().encode(header)
            let headerOffset = UInt64(dataOffset + dataset.samples.count * entrySize)
            try handle.write(contentsOf: json)
            try handle.seek(toOffset: 8)
            try handle.write(contentsOf: le64(headerOffset) + le64(UInt64(json.count)))
            try handle.close()
            try? fm.removeItem(at: url)
            try fm.moveItem(at: partial, to: url)
        } catch let e as ImageLoadError {
            throw e
        } catch {
            try? handle.close()
            try? fm.removeItem(at: partial)
            throw ImageLoadError(path: url.path, reason: .unreadable("writing the cache failed: \(error.localizedDescription)"))
        }
    }

    static func readU64(_ data: Data, _ offset: Int) -> UInt64 {
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(data[data.startIndex + offset + k]) << (8 * UInt64(k)) }
        return v
    }

    static func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
}
