import Testing

@testable import Parallelism

/// Swift loops on oneDNN's OpenMP threads: contiguous slices that cover the range exactly once.
@Suite("Parallel loops")
struct ParallelForTests {
    @Test(arguments: [1, 2, 3, 7, 16])
    func slicesPartitionTheRange(_ threads: Int) {
        for count in [0, 1, 5, 1000, 65_537] {
            var next = 0
            for t in 0..<threads {
                let r = ParallelFor.slice(t, of: threads, count: count)
                #expect(r.lowerBound == next)
                next = r.upperBound
            }
            #expect(next == count)
        }
    }

    @Test func everyIndexRunsOnce() {
        let count = 5 * ParallelFor.grain + 3
        var hits = [UInt8](repeating: 0, count: count)
        var slicesSeen = [Int](repeating: 0, count: ParallelFor.maximumSlices)
        hits.withUnsafeMutableBufferPointer { h in
            slicesSeen.withUnsafeMutableBufferPointer { s in
                ParallelFor.run(count) { slice, range in
                    s[slice] += 1
                    for i in range { h[i] &+= 1 }
                }
            }
        }
        #expect(hits.allSatisfy { $0 == 1 })
        #expect(slicesSeen.allSatisfy { $0 <= 1 })
        // OpenMP may grant fewer threads than asked for (OMP_THREAD_LIMIT, OMP_DYNAMIC), never more.
        #expect((1...min(ParallelFor.maximumSlices, count / ParallelFor.grain)).contains(slicesSeen.reduce(0, +)))
    }

    @Test func smallLoopsRunOnTheCaller() {
        var calls: [Range<Int>] = []
        ParallelFor.run(100) { range in calls.append(range) }  // below the grain: no parallel region
        #expect(calls == [0..<100])
        ParallelFor.run(0) { range in calls.append(range) }
        #expect(calls.count == 1)
    }

    /// `ThreadPool.forEach` (clustering's loops) runs every task exactly once, for more tasks than threads,
    /// fewer, and one thread.
    @Test(arguments: [(tasks: 64, threads: 2), (tasks: 3, threads: 8), (tasks: 5, threads: 1)])
    func threadPoolRunsEveryTaskOnce(_ c: (tasks: Int, threads: Int)) {
        var hits = [Int](repeating: 0, count: c.tasks)
        hits.withUnsafeMutableBufferPointer { h in ThreadPool.forEach(tasks: c.tasks, threads: c.threads) { h[$0] += 1 } }
        #expect(hits == [Int](repeating: 1, count: c.tasks))
    }
}
