import Dispatch
import Foundation

/// Runs `body` for each index in `0..<count` on up to `threads` cores (`DispatchQueue.concurrentPerform`)
/// and returns the results in index order. Blocks until all are done; no threads outlive the call.
func parallelMap<T: Sendable>(count: Int, threads: Int, _ body: @Sendable (Int) -> T) -> [T] {
    guard count > 0 else { return [] }
    let workers = max(1, min(threads, count))
    if workers == 1 { return (0..<count).map(body) }
    var results = [T?](repeating: nil, count: count)
    results.withUnsafeMutableBufferPointer { buffer in
        // Each index is written by exactly one worker, so the writes never overlap.
        nonisolated(unsafe) let out = buffer
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var i = worker
            while i < count {
                out[i] = body(i)
                i += workers
            }
        }
    }
    return results.map { $0! }
}

/// Number of cores available to this process.
public var availableCores: Int { ProcessInfo.processInfo.activeProcessorCount }
