import Compute
import Foundation
import Imaging
import Models

/// A run's clustering model, loaded once, classifying images given as bytes (what `wbc serve` answers with).
/// Not thread-safe: one caller at a time (the server's single inference worker), so compute never runs twice at
/// once on oneDNN's thread pool.
///
/// ```swift
/// let classifier = try CellClassifier(run: RunDirectory("runs/kaggle"))
/// let results = try classifier.classify([("cell.jpeg", data)])
/// ```
public final class CellClassifier: @unchecked Sendable {
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
    }

    public let model: ClusterModel
    public let settings: RunSettings
    /// SHA-256 of the clustering checkpoint (`dec.safetensors`), hex: which model answered.
    public let modelDigest: String
    /// The run's metrics (`metrics.json`), when it was evaluated.
    public let metrics: [String: SplitMetrics]

    public init(run: RunDirectory, maxMegapixels: Double? = nil) throws {
        let (model, checkpoint) = try ClusterModel.load(run.decBest)
        self.model = model
        var settings = try checkpoint.settings(file: run.decBest.path)
        if let maxMegapixels { settings.maxMegapixels = maxMegapixels }
        self.settings = settings
        modelDigest = SHA256.hash(try Data(contentsOf: run.decBest)).hex
        metrics = run.metricsFile.read()
    }

    /// Classifies each image, in one batch on the model; an image that cannot be decoded gets its error.
    public func classify(_ images: [(name: String, data: Data)]) throws -> [Result<Classified, ImageDecodingError>] {
        let options = settings.preprocessing
        var results: [Result<Classified, ImageDecodingError>?] = Array(repeating: nil, count: images.count)
        var pixels: [Float] = []
        var ready: [(index: Int, crop: [UInt8], warning: String?)] = []
        for (i, image) in images.enumerated() {
            do {
                let decoded = try ImageDecoding.decodeReportingWarning(image.data, options: options.decode)
                let prepared = options.preprocess(decoded.image)
                var chw = Resize.chw(prepared.image)
                try? model.normalization.apply(to: &chw)  // throws only for another channel count; RGB has three
                pixels += chw
                ready.append((i, (try? ImageEncoding.png(prepared.image)) ?? [], decoded.warning))
            } catch {
                results[i] = .failure(error)
            }
        }
        if !ready.isEmpty {
            let side = options.side
            model.encoder.setTraining(false)
            // In chunks of powers of two (13 = 8 + 4 + 1): oneDNN builds and compiles its primitives per input shape,
            // so a server that met every batch size from 1 to 32 would compile for each; this way six shapes serve all.
            var z: [Float] = []
            var start = 0
            let perImage = 3 * side * side
            while start < ready.count {
                let chunk = 1 << (Int.bitWidth - 1 - (ready.count - start).leadingZeroBitCount)
                let slice = Array(pixels[(start * perImage)..<((start + chunk) * perImage)])
                z += try model.extractor.features(try Tensor(shape: [chunk, 3, side, side], values: slice)).toArray()
                start += chunk
            }
            let q = try model.head.probabilities(z, n: ready.count)
            let k = model.k
            for (j, item) in ready.enumerated() {
                let row = Array(q[(j * k)..<((j + 1) * k)])
                let d = model.decision(row)
                results[item.index] = .success(
                    Classified(
                        cluster: d.cluster, cellType: d.cellType, confidence: d.confidence, probabilities: row,
                        crop: item.crop, warning: item.warning))
            }
        }
        return results.map { $0! }
    }
}
