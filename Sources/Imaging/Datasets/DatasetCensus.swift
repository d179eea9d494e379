import Foundation

/// Counts for `wbc stats` on an image folder: images per class, image sizes and formats (from the headers),
/// how many images decode whole, and the files that do not.
public struct DatasetCensus: Sendable {
    /// `(class name, images)` in class order; one row `("(unlabelled)", n)` for unlabelled images.
    public var classCounts: [(name: String, count: Int)]
    /// Images per full-resolution size, most common first.
    public var sizes: [(size: ImageSize, count: Int)]
    /// Images per sniffed format, most common first.
    public var formats: [(format: ImageFormat, count: Int)]
    /// Files whose header could not be read or that do not decode, plus what listing skipped.
    public var skipped: SkipReport
    /// Images whose header was read.
    public var readable: Int
    /// Images that decode whole (with the limits of `options`), warnings or not.
    public var decoded: Int
    /// "path: warning" for the images that decode whole despite a decoder warning.
    public var warnings: [String]

    /// Smallest and largest width and height among readable images (`nil` when none).
    public var sizeRange: (width: ClosedRange<Int>, height: ClosedRange<Int>)? {
        guard let minW = sizes.map(\.size.width).min(), let maxW = sizes.map(\.size.width).max(),
            let minH = sizes.map(\.size.height).min(), let maxH = sizes.map(\.size.height).max()
        else { return nil }
        return (minW...maxW, minH...maxH)
    }

    /// Reads every sample's header and decodes it, on `threads` cores.
    public static func take(_ dataset: ImageDataset, options: DecodeOptions = DecodeOptions(), threads: Int = availableCores) -> DatasetCensus {
        let samples = dataset.samples
        typealias Probe = (format: ImageFormat, size: ImageSize, decoding: Result<String?, ImageLoadError>)
        let headers = parallelMap(count: samples.count, threads: threads) { i -> Result<Probe, ImageLoadError> in
            let url = samples[i].url
            guard let data = try? Data(contentsOf: url, options: .mappedIfSafe) else {
                return .failure(ImageLoadError(path: url.path, reason: .unreadable("cannot read the file")))
            }
            do throws(ImageDecodingError) {
                let h = try ImageDecoding.header(data)
                let decoding = Result { () throws(ImageDecodingError) in try ImageDecoding.decodeReportingWarning(data, options: options).warning }
                return .success((h.format, h.size, decoding.mapError { ImageLoadError(path: url.path, reason: .decoding($0)) }))
            } catch {
                return .failure(ImageLoadError(path: url.path, reason: .decoding(error)))
            }
        }
        var skipped = dataset.skipped
        var sizes: [ImageSize: Int] = [:]
        var formats: [ImageFormat: Int] = [:]
        var perLabel: [Int?: Int] = [:]
        var (readable, decoded, warnings) = (0, 0, [String]())
        for (i, h) in headers.enumerated() {
            switch h {
            case .success(let probe):
                sizes[probe.size, default: 0] += 1
                formats[probe.format, default: 0] += 1
                perLabel[samples[i].label, default: 0] += 1
                readable += 1
                switch probe.decoding {
                case .success(let warning):
                    decoded += 1
                    if let warning { warnings.append("\(samples[i].url.path): \(warning)") }
                case .failure(let e): skipped.append(e)
                }
            case .failure(let e):
                skipped.append(e)
            }
        }
        var classCounts = dataset.classNames.enumerated().map { (name: $0.element, count: perLabel[$0.offset] ?? 0) }
        if let unlabelled = perLabel[nil] { classCounts.append((name: "(unlabelled)", count: unlabelled)) }
        return DatasetCensus(
            classCounts: classCounts,
            sizes: sizes.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.description < $1.key.description }.map {
                (size: $0.key, count: $0.value)
            },
            formats: formats.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.rawValue < $1.key.rawValue }.map {
                (format: $0.key, count: $0.value)
            },
            skipped: skipped, readable: readable, decoded: decoded, warnings: warnings)
    }
}
