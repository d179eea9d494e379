import Compute
import Foundation
import Imaging
import Models

/// A run's clustering model, loaded once, classifying images given as bytes (what `wbc serve` answers with).
///
/// Two steps: `prepare` decodes and crops one image as the model will see it (thread-safe, no model involved:
/// callers may run it concurrently), and `classify(prepared:)` runs the model on a batch, which is not
/// thread-safe: one caller at a time (the server's single inference worker), so compute never runs twice at once
/// on oneDNN's thread pool.
///
/// ```swift
/// let classifier = try CellClassifier(run: RunDirectory("runs/kaggle"))
/// let results = try classifier.classify([("cell.jpeg", data)])
/// ```
public final class CellClassifier: @unchecked Sendable {
    /// One image as the model will see it.
    public struct Prepared: Sendable {
        /// The crop at the model's input size, normalised, channels first.
        var pixels: [Float]
        /// The crop the frozen ImageNet backbone sees, when the model has one (`ImageNetFeatures`).
        var imagenetPixels: [Float]? = nil
        /// The same crop as PNG.
        public var crop: [UInt8]
        /// The decoder's warning about an image it still read whole.
        public var warning: String?
    }

    /// One image's result: what the model saw, the cluster, the cell type and every cluster's probability.
    public struct Classified: Sendable {
        public var cluster: Int
        public var cellType: String
        public var confidence: Float
        public var probabilities: [Float]
        /// The nucleus-centred crop at the model's input size, as PNG.
        public var crop: [UInt8]
        /// The decoder's warning about an image it still read whole.
        public var warning: String?
        /// The most similar training cells, most similar first (none when the run has no training-set features).
        public var nearest: [TrainingCells.Match]
    }

    /// Training cells shown beside each result.
    public static let nearestCount = 6

    public let model: ClusterModel
    public let settings: RunSettings
    /// SHA-256 of the clustering checkpoint (`dec.safetensors`), hex: which model answered.
    public let modelDigest: String
    /// The run's metrics (`metrics.json`), when it was evaluated.
    public let metrics: [String: SplitMetrics]
    /// The training cells as this model sees them, for the nearest ones; nil when the run cannot give them.
    public let trainingCells: TrainingCells?
    /// Why `trainingCells` is nil.
    public let trainingCellsProblem: String?

    public init(run: RunDirectory, maxMegapixels: Double? = nil) throws {
        let (model, checkpoint) = try ClusterModel.load(run.decBest)
        self.model = model
        var settings = try checkpoint.settings(file: run.decBest.path)
        if let maxMegapixels { settings.maxMegapixels = maxMegapixels }
        self.settings = settings
        modelDigest = SHA256.hash(try Data(contentsOf: run.decBest)).hex
        metrics = run.metricsFile.read()
        do {
            trainingCells = try TrainingCells.load(run: run, model: model)
            trainingCellsProblem = nil
        } catch let error as WorkflowError {
            trainingCells = nil
            trainingCellsProblem = error.message
        }
    }

    /// Decodes one image and makes the crop the model sees. Uses no model state: safe from any thread.
    public func prepare(_ data: Data) -> Result<Prepared, ImageDecodingError> {
        let options = settings.preprocessing
        do {
            let decoded = try ImageDecoding.decodeReportingWarning(data, options: options.decode)
            func input(_ options: PreprocessOptions, _ normalization: Normalization) -> (RGBImage, [Float]) {
                let prepared = options.preprocess(decoded.image)
                var chw = Resize.chw(prepared.image)
                try? normalization.apply(to: &chw)  // throws only for another channel count; RGB has three
                return (prepared.image, chw)
            }
            let (image, chw) = input(options, model.normalization)
            var p = Prepared(pixels: chw, crop: (try? ImageEncoding.png(image)) ?? [], warning: decoded.warning)
            if model.imagenet != nil { p.imagenetPixels = input(ImageNetFeatures.preprocessing(settings), ImageNetFeatures.normalization).1 }
            return .success(p)
        } catch {
            return .failure(error)
        }
    }

    /// Runs the model on the images, as one batch: one caller at a time.
    public func classify(prepared images: [Prepared]) throws -> [Classified] {
        guard !images.isEmpty else { return [] }
        let side = settings.preprocessing.side
        model.encoder.setTraining(false)
        // In chunks of powers of two (13 = 8 + 4 + 1): oneDNN builds and compiles its primitives per input shape,
        // so a server that met every batch size from 1 to 32 would compile for each; this way six shapes serve all.
        var z: [Float] = []
        var start = 0
        while start < images.count {
            let chunk = 1 << (Int.bitWidth - 1 - (images.count - start).leadingZeroBitCount)
            let part = images[start..<(start + chunk)]
            let encoded = try model.extractor.features(try Tensor(shape: [chunk, 3, side, side], values: part.flatMap(\.pixels))).toArray()
            let s = ImageNetFeatures.size
            z += try model.sources.joined(encoded, imagenetInput: try Tensor(shape: [chunk, 3, s, s], values: part.flatMap { $0.imagenetPixels ?? [] }))
            start += chunk
        }
        let q = try model.head.probabilities(z, n: images.count)
        let nearest = try trainingCells?.nearest(z, n: images.count, count: Self.nearestCount)
        let k = model.k
        return images.indices.map { j in
            let row = Array(q[(j * k)..<((j + 1) * k)])
            let d = model.decision(row)
            return Classified(
                cluster: d.cluster, cellType: d.cellType, confidence: d.confidence, probabilities: row,
                crop: images[j].crop, warning: images[j].warning, nearest: nearest?[j] ?? [])
        }
    }

    /// Prepares and classifies each image; an image that cannot be decoded gets its error.
    public func classify(_ images: [(name: String, data: Data)]) throws -> [Result<Classified, ImageDecodingError>] {
        let prepared = images.map { prepare($0.data) }
        var classified = try classify(prepared: prepared.compactMap { try? $0.get() }).makeIterator()
        return prepared.map { p in p.map { _ in classified.next()! } }
    }

    /// The crop the model sees of training cell `index`, as PNG, made from its image file.
    public func trainingCellCrop(_ index: Int) throws -> [UInt8] {
        guard let cells = trainingCells?.cells, cells.indices.contains(index) else {
            throw WorkflowError("no training cell \(index)\(trainingCells.map { " (the run has \($0.cells.count))" } ?? "")")
        }
        let path = cells[index].path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WorkflowError("training cell \(index): its image \(path) cannot be read (moved or deleted since the run)")
        }
        switch prepare(data) {
        case .success(let p): return p.crop
        case .failure(let error): throw WorkflowError("training cell \(index): \(path): \(error)")
        }
    }
}
