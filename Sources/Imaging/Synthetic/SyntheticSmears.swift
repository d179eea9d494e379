import Determinism
import Foundation

/// The leukocyte types, by folder name.
public enum CellType: String, Sendable, Codable, CaseIterable {
    case eosinophil = "EOSINOPHIL"
    case lymphocyte = "LYMPHOCYTE"
    case monocyte = "MONOCYTE"
    case neutrophil = "NEUTROPHIL"
    case basophil = "BASOPHIL"

    /// The four types of the Kaggle set (and of `SyntheticSmears.write(to:perClass:seed:options:)`).
    public static let kaggle: [CellType] = [.eosinophil, .lymphocyte, .monocyte, .neutrophil]
    /// The order `--proportions` lists the types in: most common in blood first (about 60, 30, 6, 3, 1 %).
    public static let bloodOrder: [CellType] = [.neutrophil, .lymphocyte, .monocyte, .eosinophil, .basophil]
}

/// Renders synthetic blood-smear fields: one leukocyte among pink red cells on a pale background,
/// with random position, rotation, size, stain hue and noise, fully determined by a seed.
///
/// - LYMPHOCYTE: small cell, large round dense dark-purple nucleus, thin blue cytoplasm rim.
/// - MONOCYTE: large cell, kidney-shaped (indented) lighter nucleus, grey-blue cytoplasm.
/// - NEUTROPHIL: 2–5 small connected lobes, pale pink cytoplasm.
/// - EOSINOPHIL: usually 2 lobes, cytoplasm packed with orange-red granules.
///
/// ```swift
/// let image = SyntheticSmears.render(.monocyte, seed: 1, index: 0)                       // 320×240
/// let summary = try SyntheticSmears.write(to: outDir, perClass: 20, seed: 1)            // OUT/<CLASS>/*.jpeg + labels.csv
/// ```
public enum SyntheticSmears {
    /// Rendering settings.
    public struct Options: Sendable, Codable, Equatable {
        /// Image size (default 320×240, like the Kaggle set).
        public var size: ImageSize
        /// Per-pixel Gaussian noise σ in 8-bit units (default 4).
        public var noise: Float
        /// JPEG quality of written files (default 90).
        public var jpegQuality: Int
        public init(size: ImageSize = ImageSize(width: 320, height: 240), noise: Float = 4, jpegQuality: Int = 90) {
            self.size = size
            self.noise = noise
            self.jpegQuality = jpegQuality
        }
    }

    /// What `write` produced.
    public struct Summary: Sendable {
        /// Files written per class.
        public var counts: [CellType: Int]
        /// The labels file.
        public var labelsFile: URL
        /// Every image written, in labels.csv order.
        public var files: [URL]
    }

    /// Error writing the synthetic set.
    public struct WriteError: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var detail: String
        public var description: String { "cannot write synthetic images to \(path): \(detail)" }
    }

    /// Renders image number `index` of class `type`; the same (type, seed, index) always gives the same pixels.
    public static func render(_ type: CellType, seed: UInt64, index: Int, options: Options = Options()) -> RGBImage {
        let classIndex = UInt64(CellType.allCases.firstIndex(of: type) ?? 0)
        var rng = SeededGenerator.derived(seed: seed, stream: classIndex << 32 | UInt64(index))
        let renderer = SmearRenderer(type: type, options: options, rng: &rng)
        return renderer.render(&rng)
    }

    /// Writes `perClass` images of each of the four Kaggle types as `OUT/<CLASS>/synth_NNNNN.jpeg` (ImageFolder
    /// layout) and `OUT/labels.csv` with columns `Image,Category,Path` (Path relative to OUT).
    public static func write(to out: URL, perClass: Int, seed: UInt64, options: Options = Options()) throws(WriteError) -> Summary {
        try write(to: out, counts: Dictionary(uniqueKeysWithValues: CellType.kaggle.map { ($0, perClass) }), seed: seed, options: options)
    }

    /// Image counts per type for `total` images split by `proportions` (one per type of `types`, summing to
    /// about 1): largest remainders, and at least one image of every type with a positive share.
    public static func counts(total: Int, proportions: [Double], types: [CellType] = CellType.bloodOrder) -> [CellType: Int] {
        let sum = proportions.reduce(0, +)
        let exact = proportions.map { $0 / max(sum, 1e-12) * Double(total) }
        var counts = exact.map { Int($0) }
        let order = exact.indices.sorted { (exact[$0] - Double(counts[$0])) > (exact[$1] - Double(counts[$1])) }
        for i in order.prefix(max(0, total - counts.reduce(0, +))) { counts[i] += 1 }
        for i in counts.indices where proportions[i] > 0 && counts[i] == 0 { counts[i] = 1 }
        return Dictionary(uniqueKeysWithValues: zip(types, counts).filter { $0.1 > 0 })
    }

    /// Writes `counts[type]` images of each type (in `CellType.allCases` order), as `write(to:perClass:…)` does.
    public static func write(to out: URL, counts wanted: [CellType: Int], seed: UInt64, options: Options = Options()) throws(WriteError) -> Summary {
        let fm = FileManager.default
        var rows = ["Image,Category,Path"]
        var files: [URL] = []
        var counts: [CellType: Int] = [:]
        var id = 0
        for type in CellType.allCases {
            guard let perClass = wanted[type], perClass > 0 else { continue }
            let folder = out.appendingPathComponent(type.rawValue, isDirectory: true)
            do { try fm.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
                throw WriteError(path: folder.path, detail: error.localizedDescription)
            }
            let images = parallelMap(count: perClass, threads: availableCores) { i in render(type, seed: seed, index: i, options: options) }
            for (i, image) in images.enumerated() {
                let name = "synth_" + String(format: "%05d", i) + ".jpeg"
                let url = folder.appendingPathComponent(name)
                do { try ImageEncoding.write(image, to: url, jpegQuality: options.jpegQuality) } catch {
                    throw WriteError(path: url.path, detail: error.description)
                }
                rows.append("\(id),\(type.rawValue),\(type.rawValue)/\(name)")
                files.append(url)
                id += 1
            }
            counts[type] = perClass
        }
        let labels = out.appendingPathComponent("labels.csv")
        do { try (rows.joined(separator: "\n") + "\n").write(to: labels, atomically: true, encoding: .utf8) } catch {
            throw WriteError(path: labels.path, detail: error.localizedDescription)
        }
        return Summary(counts: counts, labelsFile: labels, files: files)
    }
}
