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
public enum ParallelFor {
    private typealias Region = @convention(c) (UnsafeMutableRawPointer?) -> Void
    private typealias GOMPParallel = @convention(c) (Region, UnsafeMutableRawPointer?, UInt32, UInt32) -> Void
    private typealias IntFn = @convention(c) () -> Int32

    private struct Entry: @unchecked Sendable {
        let parallel: GOMPParallel, threadNumber: IntFn, threadCount: IntFn
    }

    private static let entry: Entry? = {
        guard let p = OpenMP.symbol("GOMP_parallel"), let n = OpenMP.symbol("omp_get_thread_num"),
            let c = OpenMP.symbol("omp_get_num_threads")
        else { return nil }
        return Entry(
            parallel: unsafeBitCast(p, to: GOMPParallel.self), threadNumber: unsafeBitCast(n, to: IntFn.self),
            threadCount: unsafeBitCast(c, to: IntFn.self))
    }()

    /// ThreadSanitizer's annotations, present only in a `-sanitize=thread` build: libgomp is not instrumented,
    /// so without them TSan cannot see that handing the region to the team (and its end) orders memory, and
    /// reports every region as a race. Real races between the threads' bodies are still reported.
    private typealias Annotation = @convention(c) (UnsafeMutableRawPointer?) -> Void
    private static let tsanAcquire: Annotation? = OpenMP.symbol("__tsan_acquire").map { unsafeBitCast($0, to: Annotation.self) }
    private static let tsanRelease: Annotation? = OpenMP.symbol("__tsan_release").map { unsafeBitCast($0, to: Annotation.self) }

    /// Fewer elements than this per thread are not worth waking the pool for.
    public static let grain = 1 << 15

    private final class Context {
        let body: (_ thread: Int, _ threads: Int) -> Void
        let entry: Entry
        init(body: @escaping (Int, Int) -> Void, entry: Entry) {
            self.body = body
            self.entry = entry
        }
    }

    /// The slice of `0..<count` that thread `index` of `threads` takes.
    public static func slice(_ index: Int, of threads: Int, count: Int) -> Range<Int> {
        (index * count / threads)..<((index + 1) * count / threads)
    }

    /// Runs `body` over `0..<count`, split into contiguous slices, one per thread. `body` must only write
    /// what its slice owns. It must not run oneDNN primitives (reorders included) nor nest `run`: both take
    /// `OpenMP.executionLock`, which `run` holds, and would deadlock.
    public static func run(_ count: Int, _ body: (Range<Int>) -> Void) { run(count) { _, range in body(range) } }

    /// The most slices `run` cuts (so callers can size per-slice results).
    public static var maximumSlices: Int { max(1, OpenMP.threads) }

    /// `run`, with each slice's index (below `maximumSlices`) for per-slice results.
    public static func run(_ count: Int, _ body: (_ slice: Int, Range<Int>) -> Void) {
        let threads = min(maximumSlices, count / grain)
        guard threads > 1 else {
            if count > 0 { body(0, 0..<count) }
            return
        }
        region(threads: threads) { index, team in
            let range = slice(index, of: team, count: count)
            if !range.isEmpty { body(index, range) }
        }
    }

    /// Runs `body(thread, team size)` on every thread of an OpenMP team of (at most) `threads` threads; on the
    /// calling thread alone when there is no libgomp.
    public static func region(threads: Int, _ body: (_ thread: Int, _ threads: Int) -> Void) {
        guard threads > 1, let entry else {
            body(0, 1)
            return
        }
        withoutActuallyEscaping(body) { escapable in
            let context = Context(body: escapable, entry: entry)
            let region: Region = { raw in
                ParallelFor.tsanAcquire?(raw)
                let c = Unmanaged<Context>.fromOpaque(raw!).takeUnretainedValue()
                c.body(Int(c.entry.threadNumber()), Int(c.entry.threadCount()))
                ParallelFor.tsanRelease?(raw)
            }
            // One parallel region at a time, like the primitives (callers on several threads queue).
            OpenMP.executionLock.lock()
            defer { OpenMP.executionLock.unlock() }
            withExtendedLifetime(context) {
                let raw = Unmanaged.passUnretained(context).toOpaque()
                Self.tsanRelease?(raw)
                entry.parallel(region, raw, UInt32(threads), 0)
                Self.tsanAcquire?(raw)
            }
        }
    }
}
