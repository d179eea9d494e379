#if canImport(Glibc)
import Glibc
#endif

/// Elementwise Swift loops (the optimizers' updates, the gradient check) on oneDNN's own OpenMP threads.
///
/// oneDNN's Debian build runs on libgomp; its `GOMP_parallel` entry point starts a parallel region on the
/// same pool, so these loops add no second thread pool. Each thread takes one contiguous slice; the
/// slices depend only on the count and the thread count, and every loop run this way is elementwise, so
/// results do not depend on the thread count. Without libgomp (another oneDNN build) the loop runs on
/// the calling thread.
enum ParallelFor {
    private typealias Region = @convention(c) (UnsafeMutableRawPointer?) -> Void
    private typealias GOMPParallel = @convention(c) (Region, UnsafeMutableRawPointer?, UInt32, UInt32) -> Void
    private typealias IntFn = @convention(c) () -> Int32

    private struct Entry: @unchecked Sendable {
        let parallel: GOMPParallel, threadNumber: IntFn, threadCount: IntFn
    }

    private static let entry: Entry? = {
        _ = Engine.shared  // loads oneDNN and its OpenMP runtime
        guard let p = dlsym(nil, "GOMP_parallel"), let n = dlsym(nil, "omp_get_thread_num"),
              let c = dlsym(nil, "omp_get_num_threads") else { return nil }
        return Entry(parallel: unsafeBitCast(p, to: GOMPParallel.self), threadNumber: unsafeBitCast(n, to: IntFn.self),
                     threadCount: unsafeBitCast(c, to: IntFn.self))
    }()

    /// Fewer elements than this per thread are not worth waking the pool for.
    static let grain = 1 << 15

    private final class Context {
        let count: Int
        let body: (Int, Range<Int>) -> Void
        let entry: Entry
        init(count: Int, body: @escaping (Int, Range<Int>) -> Void, entry: Entry) { self.count = count; self.body = body; self.entry = entry }
    }

    /// The slice of `0..<count` that thread `index` of `threads` takes.
    static func slice(_ index: Int, of threads: Int, count: Int) -> Range<Int> {
        (index * count / threads)..<((index + 1) * count / threads)
    }

    /// Runs `body` over `0..<count`, split into contiguous slices, one per thread. `body` must only write
    /// what its slice owns. It must not run oneDNN primitives (reorders included) nor nest `run`: both take
    /// `Engine.executionLock`, which `run` holds, and would deadlock.
    static func run(_ count: Int, _ body: (Range<Int>) -> Void) { run(count) { _, range in body(range) } }

    /// The most slices `run` cuts (so callers can size per-slice results).
    static var maximumSlices: Int { max(1, Engine.threads) }

    /// `run`, with each slice's index (below `maximumSlices`) for per-slice results.
    static func run(_ count: Int, _ body: (_ slice: Int, Range<Int>) -> Void) {
        let threads = min(maximumSlices, count / grain)
        guard threads > 1, let entry else {
            if count > 0 { body(0, 0..<count) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            let context = Context(count: count, body: escapable, entry: entry)
            let region: Region = { raw in
                let c = Unmanaged<Context>.fromOpaque(raw!).takeUnretainedValue()
                let index = Int(c.entry.threadNumber())
                let range = ParallelFor.slice(index, of: Int(c.entry.threadCount()), count: c.count)
                if !range.isEmpty { c.body(index, range) }
            }
            // One parallel region at a time, like the primitives (callers on several threads queue).
            Engine.shared.executionLock.lock()
            defer { Engine.shared.executionLock.unlock() }
            withExtendedLifetime(context) {
                entry.parallel(region, Unmanaged.passUnretained(context).toOpaque(), UInt32(threads), 0)
            }
        }
    }
}
