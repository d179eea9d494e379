import Foundation
import Imaging
import Workflows

/// The one place images are classified: a bounded queue and a single worker thread that takes up to
/// `batchSize` queued images (whatever has arrived while the previous batch computed) as one batch, so the
/// model runs once at a time on oneDNN's thread pool and concurrent requests share batches.
public final class InferenceQueue: @unchecked Sendable {
    public typealias Outcome = Result<CellClassifier.Classified, ImageDecodingError>

    /// The queue is full: the request should be retried later.
    public struct Full: Error, Sendable {}

    private struct Job {
        var images: [(name: String, data: Data)]
        var done: @Sendable (Result<[Outcome], any Error>) -> Void
    }

    let classifier: CellClassifier
    public let capacity: Int
    public let batchSize: Int
    private let lock = NSLock()
    private var jobs: [Job] = []
    private var queuedImages = 0
    private var working = false
    private let worker = DispatchQueue(label: "wbc.inference")

    public init(classifier: CellClassifier, capacity: Int = 256, batchSize: Int = 32) {
        self.classifier = classifier
        self.capacity = capacity
        self.batchSize = batchSize
    }

    /// Images waiting or being classified (the queue-depth gauge).
    public var depth: Int { lock.withLock { queuedImages } }

    /// Classifies `images` (one result per image, in order) once the worker reaches them.
    /// - Throws: `Full` when the queue holds `capacity` images already; the classifier's errors.
    public func classify(_ images: [(name: String, data: Data)]) async throws -> [Outcome] {
        try await withCheckedThrowingContinuation { continuation in
            let accepted: Bool = lock.withLock {
                guard queuedImages + images.count <= max(capacity, images.count) || queuedImages == 0 else { return false }
                queuedImages += images.count
                jobs.append(Job(images: images, done: { continuation.resume(with: $0) }))
                return true
            }
            guard accepted else { return continuation.resume(throwing: Full()) }
            startWorkerIfIdle()
        }
    }

    private func startWorkerIfIdle() {
        let start: Bool = lock.withLock {
            if working { return false }
            working = true
            return true
        }
        if start { worker.async { self.drain() } }
    }

    /// Runs batches until the queue is empty: whole jobs, first come first served, up to `batchSize` images
    /// (a larger job runs alone).
    private func drain() {
        while true {
            let batch: [Job] = lock.withLock {
                var taken: [Job] = []
                var count = 0
                while let next = jobs.first, taken.isEmpty || count + next.images.count <= batchSize {
                    taken.append(jobs.removeFirst())
                    count += next.images.count
                }
                if taken.isEmpty { working = false }
                return taken
            }
            if batch.isEmpty { return }
            let images = batch.flatMap(\.images)
            let result = Result { try classifier.classify(images) }
            lock.withLock { queuedImages -= images.count }
            var offset = 0
            for job in batch {
                let n = job.images.count
                job.done(result.map { Array($0[offset..<(offset + n)]) })
                offset += n
            }
        }
    }
}
