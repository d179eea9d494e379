/// Average-linkage agglomerative clustering (UPGMA) on cosine distances: every point starts as its own cluster,
/// and the two clusters with the smallest mean pairwise distance merge until `k` are left. Unlike k-means it has no
/// preference for clusters of equal size, so a tight group of a few points (a rare cell type) can keep a cluster of
/// its own while a large, spread-out one stays whole.
///
/// The merges are those of `scipy.cluster.hierarchy.linkage(x, method: "average", metric: "cosine")`, found with
/// the nearest-neighbour chain (O(n²) time) on an n × n matrix of distances (4 n² bytes, hence
/// `maximumPoints`).
///
/// ```swift
/// let labels = try AverageLinkage.labels(features, n: n, d: d, k: 5)   // [Int], clusters numbered by first point
/// ```
public enum AverageLinkage {
    /// The most points clustered at once: their distance matrix takes 4 n² bytes (3.6 GB at this size).
    public static let maximumPoints = 30_000

    /// One merge: the clusters holding points `a` and `b` join at mean cosine distance `distance`.
    public struct Merge: Sendable, Equatable {
        public var a: Int
        public var b: Int
        public var distance: Float
    }

    /// Each of the `n` rows of `x` (`[n, d]`, row-major) by its cluster, `0..<k`, numbered in the order of each
    /// cluster's first row.
    public static func labels(_ x: [Float], n: Int, d: Int, k: Int, threads: Int = 0) throws -> [Int] {
        guard k >= 1, k <= n else { throw ClusteringError.invalidClusterCount(k: k, points: n) }
        let all = try merges(x, n: n, d: d, threads: threads)
        var parent = Array(0..<n)
        func root(_ i: Int) -> Int {
            var i = i
            while parent[i] != i {
                parent[i] = parent[parent[i]]
                i = parent[i]
            }
            return i
        }
        for m in all.prefix(n - k) {
            let (ra, rb) = (root(m.a), root(m.b))
            parent[max(ra, rb)] = min(ra, rb)
        }
        var number: [Int: Int] = [:]
        return (0..<n).map { i in
            let r = root(i)
            if let c = number[r] { return c }
            number[r] = number.count
            return number.count - 1
        }
    }

    /// The n − 1 merges, by increasing distance (ties in the order they were found).
    public static func merges(_ x: [Float], n: Int, d: Int, threads: Int = 0) throws -> [Merge] {
        try validateMatrix(x, rows: n, columns: d, name: "average-linkage input")
        guard n <= maximumPoints else {
            throw ClusteringError.invalidParameter(
                name: "average-linkage points", value: String(n),
                reason: "at most \(maximumPoints) points fit its n × n distance matrix")
        }
        var distance = cosineDistances(x, n: n, d: d, threads: Parallel.resolvedThreads(threads))
        var size = [Int](repeating: 1, count: n)
        var height = [Float](repeating: 0, count: n)  // the distance at which each row's cluster was last merged
        var active = Array(0..<n)  // the clusters not yet merged away, each named by the row that holds it
        var chain: [Int] = []
        var found: [Merge] = []
        found.reserveCapacity(n - 1)
        while active.count > 1 {
            if chain.isEmpty { chain.append(active[0]) }
            let a = chain[chain.count - 1]
            // a's nearest cluster; the one before it in the chain wins ties, which ends every chain.
            let previous = chain.count > 1 ? chain[chain.count - 2] : -1
            var nearest = previous
            var best = previous >= 0 ? distance[a * n + previous] : Float.infinity
            for j in active where j != a && distance[a * n + j] < best {
                best = distance[a * n + j]
                nearest = j
            }
            guard nearest == previous else {
                chain.append(nearest)
                continue
            }
            // a and b are each other's nearest: they merge into the row of the larger index, as in SciPy (which
            // decides later ties the same way), with the Lance–Williams update for the mean distance.
            chain.removeLast(2)
            let (keep, gone) = (max(a, previous), min(a, previous))
            let (wk, wg) = (Float(size[keep]), Float(size[gone]))
            for j in active where j != keep && j != gone {
                let merged = (wk * distance[keep * n + j] + wg * distance[gone * n + j]) / (wk + wg)
                distance[keep * n + j] = merged
                distance[j * n + keep] = merged
            }
            size[keep] += size[gone]
            active.removeAll { $0 == gone }
            // Rounding can put a merge a hair below one it contains; the cut below must not apply it first.
            let at = max(best, height[keep], height[gone])
            height[keep] = at
            found.append(Merge(a: gone, b: keep, distance: at))
        }
        // The chain finds merges out of order; average linkage is reducible, so sorting gives the dendrogram's order.
        return found.enumerated().sorted { ($0.element.distance, $0.offset) < ($1.element.distance, $1.offset) }.map(\.element)
    }

    /// 1 − cos between every two rows, as an n × n row-major matrix (a zero row is at distance 1 from all).
    static func cosineDistances(_ x: [Float], n: Int, d: Int, threads: Int) -> [Float] {
        var unit = x
        for i in 0..<n {
            let norm = unit.withUnsafeBufferPointer { DenseKernels.dot($0.baseAddress! + i * d, $0.baseAddress! + i * d, d) }.squareRoot()
            if norm > 0 { for t in 0..<d { unit[i * d + t] /= norm } }
        }
        var out = [Float](repeating: 0, count: n * n)
        unit.withUnsafeBufferPointer { u in
            out.withUnsafeMutableBufferPointer { o in
                let (pu, po) = (u.baseAddress!, o.baseAddress!)
                Parallel.forEachChunk(count: n, chunks: Parallel.chunkCount(n), threads: threads) { _, rows in
                    for i in rows {
                        for j in 0..<n { po[i * n + j] = i == j ? 0 : 1 - DenseKernels.dot(pu + i * d, pu + j * d, d) }
                    }
                }
            }
        }
        return out
    }
}
