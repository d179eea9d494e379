import Compute
import Imaging
import Models

extension FeatureExtractor {
    /// Evaluation-mode features of every batch `epoch` serves: `body(batch, features [count, D])`.
    /// `name` labels the progress bar and errors; `total` is the images expected.
    func forEachBatch(
        _ epoch: inout ImageLoader.Epoch, name: String, total: Int, progress: any ProgressSink,
        _ body: (ImageBatch, [Float]) throws -> Void
    ) throws {
        backbone.setTraining(false)
        var done = 0
        while let b = try DataSource.next(&epoch, name: name) {
            try body(b, try features(b.tensor()).toArray())
            done += b.count
            progress.progress("assign \(name)", done: done, total: total, detail: "")
        }
    }
}
