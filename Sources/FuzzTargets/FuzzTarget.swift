import Compute
import Foundation
import Imaging
import Models

/// One reader of outside files, fed arbitrary bytes: by libFuzzer (`Scripts/fuzz.sh`), and by the tests, which
/// feed it the generated seeds. A reader may refuse any input with an
/// error; it must never crash, hang or allocate beyond its documented limit.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// JPEG through wbc's decoder: header, EXIF orientation, the corrupt-data rules, scaled decoding.
    case jpeg
    /// PNG through libpng's simplified API and wbc's alpha compositing.
    case png
    /// BMP through wbc's own parser.
    case bmp
    /// The safetensors header, tensor table and every tensor's values.
    case safetensors
    /// PyTorch `.pth`: the zip container or the legacy format, the restricted unpickler and the storages.
    case pth
    /// `labels.csv`: encoding detection and the CSV parser.
    case labels
    /// The dataset walker (ImageFolder root, flat folder, labels.csv beside images) on a generated tree
    /// (`FolderTree`), with links, empty folders and files of every kind.
    case folder

    /// The limit the image readers are fuzzed with: 4 megapixels (at most 28 MB of pixels with PNG's RGBA), so
    /// that only an allocation the limit fails to stop can reach the fuzzer's 2 GB memory limit.
    static let decodeOptions = DecodeOptions(maxPixels: 4_000_000)

    /// Runs the reader on `data`; errors are the reader's answer and are dropped.
    public func run(_ data: Data) {
        switch self {
        case .jpeg, .png, .bmp:
            _ = try? ImageDecoding.header(data)
            if let decoded = try? ImageDecoding.decodeReportingWarning(data, options: Self.decodeOptions) {
                precondition(decoded.image.pixels.count == decoded.image.width * decoded.image.height * 3)
            }
            var scaled = Self.decodeOptions
            scaled.minimumSize = ImageSize(side: 8)
            _ = try? ImageDecoding.decode(data, options: scaled)
        case .safetensors:
            guard let file = try? SafeTensorsFile(data: data) else { return }
            for name in file.names {
                _ = try? file.floatTensor(named: name)
                _ = try? file.integerTensor(named: name)
            }
        case .pth:
            _ = try? PyTorchCheckpoint(data: data)
        case .labels:
            _ = try? LabelsTable.read(data: data, path: "labels.csv")
        case .folder:
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("wbc-fuzz-tree-\(getpid())")
            try? FileManager.default.removeItem(at: root)
            guard (try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)) != nil else { return }
            defer { try? FileManager.default.removeItem(at: root) }
            FolderTree([UInt8](data)).write(under: root)
            if let dataset = try? ImageDataset.open(root) {
                // Every link points inside the tree or nowhere, so no listed image may lie outside it.
                precondition(dataset.samples.allSatisfy { $0.url.path.hasPrefix(root.path) })
            }
            _ = try? ImageDataset.imageFolder(at: root)
        }
    }
}
