import Compute
import Foundation
import Imaging
import Models

/// One prediction of `predict`.
public struct Prediction: Sendable, Codable {
    public var path: String
    public var cluster: Int
    public var cellType: String
    public var confidence: Float
    public var probabilities: [Float]
    enum CodingKeys: String, CodingKey {
        case path, cluster, confidence, probabilities
        case cellType = "cell_type"
    }
}

/// Cluster, cell type and confidence of new images, with a run's clustering model; the files that could not be
/// read, and what the decoder warned about those it still read whole.
public enum PredictStage {
    public static func predict(
        run: RunDirectory, images: [String], maxMegapixels: Double? = nil, progress: any ProgressSink
    ) throws -> (predictions: [Prediction], skipped: [String], warnings: [String]) {
        let (model, checkpoint) = try ClusterModel.load(run.decBest)
        var settings = try checkpoint.settings(file: run.decBest.path)
        if let maxMegapixels { settings.maxMegapixels = maxMegapixels }
        let dataset: ImageDataset
        do { dataset = try ImageDataset.files(images.map { URL(fileURLWithPath: $0) }) } catch { throw WorkflowError("predict", error) }
        let (loader, imagenetLoader) = model.sources.loaders(dataset, settings: settings, batch: 32)
        var epoch = loader.batches()
        var imagenetEpoch = imagenetLoader?.batches()
        var out: [Prediction] = []
        let k = model.k
        try model.sources.forEachBatch(&epoch, imagenetEpoch: &imagenetEpoch, name: "predict", total: dataset.samples.count, progress: progress) { b, z in
            let q = try model.head.probabilities(z, n: b.count)
            for i in 0..<b.count {
                let row = Array(q[(i * k)..<((i + 1) * k)])
                let d = model.decision(row)
                out.append(Prediction(path: b.paths[i].path, cluster: d.cluster, cellType: d.cellType, confidence: d.confidence, probabilities: row))
            }
        }
        return (out, (dataset.skipped.errors + epoch.skipped.errors).map(\.description), epoch.warnings)
    }
}
