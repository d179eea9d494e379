import Parallelism

/// Splits row loops over worker threads.
///
/// Work is cut into a fixed number of contiguous chunks that does not depend on the thread count, and any reduction
/// over chunks is done by the caller in chunk order, so results are bit-identical for every thread count.
enum Parallel {
    /// Chunks used for `count` items: at most `maxChunks`, at least one item each.
    static func chunkCount(_ count: Int, maxChunks: Int = 64) -> Int { max(1, min(count, maxChunks)) }

    /// The `chunk`-th of `chunks` contiguous ranges covering `0..<count`.
    static func range(_ chunk: Int, of chunks: Int, count: Int) -> Range<Int> {
        (chunk * count / chunks)..<((chunk + 1) * count / chunks)
    }

    /// Runs `body(chunk, range)` for every chunk; with `threads > 1` chunks run concurrently on oneDNN's OpenMP
    /// threads (`ThreadPool`). `body` must only write memory owned by its chunk.
    static func forEachChunk(count: Int, chunks: Int, threads: Int, _ body: (Int, Range<Int>) -> Void) {
        guard count > 0 else { return }
        if threads <= 1 || chunks <= 1 {
            for c in 0..<chunks { body(c, range(c, of: chunks, count: count)) }
            return
        }
        ThreadPool.forEach(tasks: chunks, threads: threads) { c in body(c, range(c, of: chunks, count: count)) }
    }

    /// The thread count to use for a requested value: 0 means every active core.
    static func resolvedThreads(_ requested: Int) -> Int {
        requested > 0 ? requested : max(1, activeProcessorCount())
    }
}

#if canImport(Glibc)
    import Glibc
    private func activeProcessorCount() -> Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
#else
    import Foundation
    private func activeProcessorCount() -> Int { ProcessInfo.processInfo.activeProcessorCount }
#endif
