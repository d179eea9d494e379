import Foundation
import Imaging
import Workflows

#if canImport(Glibc)
    import Glibc
#endif

/// The one place images are classified: a bounded queue and a single worker thread that takes up to
/// `batchSize` queued images (whatever has arrived while the previous batch computed) as one batch, so the
/// model runs once at a time on oneDNN's thread pool and concurrent requests share batches. Decoding and
/// cropping happen before, on the requests' own tasks, so the worker only runs the model.
///
/// The worker is one dedicated thread for the server's life, not a dispatch queue: OpenMP gives every thread
/// that calls into it a team of its own, and a dispatch queue runs on whichever pool thread is free, so teams
/// piled up and spun against each other (a one-image batch went from 0.04 to 0.42 s within 70 requests).
public final class InferenceQueue: @unchecked Sendable {
    public typealias Outcome = Result<CellClassifier.Classified, ImageDecodingError>

    /// The queue is full: the request should be retried later.
    public struct Full: Error, Sendable {}

    private struct Job {
        var images: [CellClassifier.Prepared]
        var done: @Sendable (Result<[CellClassifier.Classified], any Error>) -> Void
    }

    let classifier: CellClassifier
    /// Runs one batch on the worker thread: the classifier's model.
    private let compute: @Sendable ([CellClassifier.Prepared]) throws -> [CellClassifier.Classified]
    public let capacity: Int
    public let batchSize: Int
    /// How long the worker waits for more images when fewer than `batchSize` are queued.
    public let gatherMilliseconds: Int
    private let lock = NSCondition()
    private var jobs: [Job] = []
    private var queuedImages = 0

    /// - Parameter compute: what runs a batch, by default `classifier.classify(prepared:)` (a test may hold the
    ///   worker with its own).
    public init(
        classifier: CellClassifier, capacity: Int = 256, batchSize: Int = 32, gatherMilliseconds: Int = 3,
        compute: (@Sendable ([CellClassifier.Prepared]) throws -> [CellClassifier.Classified])? = nil
    ) {
        self.classifier = classifier
        self.compute = compute ?? { try classifier.classify(prepared: $0) }
        self.capacity = capacity
        self.batchSize = batchSize
        self.gatherMilliseconds = gatherMilliseconds
        // The thread holds the queue: both last as long as the process (a server has one).
        let worker = Thread { self.work() }
        worker.name = "wbc inference"
        worker.start()
    }

    /// Images waiting or being classified (the queue-depth gauge).
    public var depth: Int { lock.withLock { queuedImages } }

    /// Classifies `images` (one result per image, in order): takes their places in the queue, decodes and crops
    /// them on the calling task, then waits for the worker to run the model on those that could be read.
    /// - Throws: `Full` when the queue holds `capacity` images already (before any decoding: a full queue costs
    ///   no work); the model's errors.
    public func classify(_ images: [(name: String, data: Data)]) async throws -> [Outcome] {
        try reserve(images.count)
        let prepared = images.map { classifier.prepare($0.data) }
        let ready = prepared.compactMap { try? $0.get() }
        release(images.count - ready.count)
        var classified = (ready.isEmpty ? [] : try await run(ready)).makeIterator()
        return prepared.map { p in p.map { _ in classified.next()! } }
    }

    /// Takes `count` places in the queue, or throws `Full`. A request larger than the whole queue is taken
    /// when the queue is empty, so it is never refused for good.
    private func reserve(_ count: Int) throws {
        let taken: Bool = lock.withLock {
            guard queuedImages + count <= max(capacity, count) || queuedImages == 0 else { return false }
            queuedImages += count
            return true
        }
        if !taken { throw Full() }
    }

    private func release(_ count: Int) {
        if count > 0 { lock.withLock { queuedImages -= count } }
    }

    /// Hands reserved images to the worker.
    private func run(_ images: [CellClassifier.Prepared]) async throws -> [CellClassifier.Classified] {
        try await withCheckedThrowingContinuation { continuation in
            lock.withLock {
                jobs.append(Job(images: images, done: { continuation.resume(with: $0) }))
                lock.signal()
            }
        }
    }

    /// The worker thread: waits for jobs, then runs batches of whole jobs, first come first served, up to
    /// `batchSize` images (a larger job runs alone).
    private func work() {
        while true {
            lock.withLock { while jobs.isEmpty { lock.wait() } }
            // Clients answered by the last batch send their next images within a few milliseconds: waiting that
            // long for a batch that is not yet full lets them share the next one.
            if lock.withLock({ queuedImages < batchSize }) { usleep(UInt32(gatherMilliseconds * 1000)) }
            let batch: [Job] = lock.withLock {
                var taken: [Job] = []
                var count = 0
                while let next = jobs.first, taken.isEmpty || count + next.images.count <= batchSize {
                    taken.append(jobs.removeFirst())
                    count += next.images.count
                }
                return taken
            }
            let images = batch.flatMap(\.images)
            let result = Result { try compute(images) }
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
