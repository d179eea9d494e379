import Determinism

/// The inner loops of k-means on one validated n × d matrix. Distances use ‖x‖² − 2x·c + ‖c‖² with the row norms
/// computed once, clamped at 0 against rounding.
struct KMeansEngine {
    let x: UnsafePointer<Float>
    let n: Int
    let d: Int
    let threads: Int
    let norms: [Float]
    let chunks: Int

    init(x: UnsafePointer<Float>, n: Int, d: Int, threads: Int) {
        self.x = x
        self.n = n
        self.d = d
        self.threads = threads
        self.norms = DenseKernels.rowSquaredNorms(UnsafeBufferPointer(start: x, count: n * d), rows: n, columns: d)
        self.chunks = Parallel.chunkCount(n)
    }

    /// Mean over features of the per-feature variance (scikit-learn scales `tol` by it).
    func meanFeatureVariance() -> Double {
        var mean = [Double](repeating: 0, count: d)
        var m2 = [Double](repeating: 0, count: d)
        for i in 0..<n {
            let row = x + i * d
            for t in 0..<d { mean[t] += Double(row[t]) }
        }
        for t in 0..<d { mean[t] /= Double(n) }
        for i in 0..<n {
            let row = x + i * d
            for t in 0..<d {
                let e = Double(row[t]) - mean[t]
                m2[t] += e * e
            }
        }
        return m2.reduce(0, +) / Double(n) / Double(d)
    }

    /// Squared distance of every point to each of the points `sources` (one pass over the data; each row stays in
    /// cache for all of them). Result: sources.count arrays of n values.
    func distances(toPoints sources: [Int]) -> [[Float]] {
        let m = sources.count
        var flat = [Float](repeating: 0, count: m * n)
        flat.withUnsafeMutableBufferPointer { ob in
            let o = ob.baseAddress!
            Parallel.forEachChunk(count: n, chunks: chunks, threads: threads) { _, rows in
                for i in rows {
                    for (s, source) in sources.enumerated() {
                        let dist = norms[i] - 2 * DenseKernels.dot(x + i * d, x + source * d, d) + norms[source]
                        o[s * n + i] = max(dist, 0)
                    }
                }
            }
        }
        return (0..<m).map { Array(flat[($0 * n)..<($0 * n + n)]) }
    }

    /// Greedy k-means++: each new centre is the best (lowest potential) of 2 + ⌊ln k⌋ candidates drawn with
    /// probability proportional to the squared distance to the nearest chosen centre.
    func seedCentres(k: Int, rng: inout SeededGenerator) -> [Float] {
        var centres = [Float](repeating: 0, count: k * d)
        let first = rng.nextInt(below: n)
        copyRow(first, into: &centres, at: 0)
        var closest = distances(toPoints: [first])[0]
        let trials = 2 + Int(Double(k).logNatural)
        for c in 1..<max(k, 1) {
            var cumulative = [Double](repeating: 0, count: n)
            var total = 0.0
            for i in 0..<n {
                total += Double(closest[i])
                cumulative[i] = total
            }
            let candidates = (0..<trials).map { _ in
                total > 0
                    ? min(firstIndex(in: cumulative, above: rng.nextUniformDouble() * total), n - 1)
                    : rng.nextInt(below: n)
            }
            let candidateDistances = distances(toPoints: candidates)
            var bestIndex = -1
            var bestPotential = Double.infinity
            var bestDistances: [Float] = []
            for (candidate, dist) in zip(candidates, candidateDistances) {
                var potential = 0.0
                for i in 0..<n { potential += Double(min(dist[i], closest[i])) }
                if potential < bestPotential {
                    bestPotential = potential
                    bestIndex = candidate
                    bestDistances = dist
                }
            }
            copyRow(bestIndex, into: &centres, at: c)
            for i in 0..<n { closest[i] = min(closest[i], bestDistances[i]) }
        }
        return centres
    }

    /// Nearest centre, its squared distance and the total (inertia) for every point.
    func assign(centres: [Float], k: Int) -> (labels: [Int], distances: [Float], inertia: Double) {
        var labels = [Int](repeating: 0, count: n)
        var dists = [Float](repeating: 0, count: n)
        var partial = [Double](repeating: 0, count: chunks)
        let centreNorms = centres.withUnsafeBufferPointer {
            DenseKernels.rowSquaredNorms($0, rows: k, columns: d)
        }
        centres.withUnsafeBufferPointer { cb in
            let c = cb.baseAddress!
            labels.withUnsafeMutableBufferPointer { lb in
                dists.withUnsafeMutableBufferPointer { db in
                    partial.withUnsafeMutableBufferPointer { pb in
                        let l = lb.baseAddress!
                        let o = db.baseAddress!
                        let p = pb.baseAddress!
                        Parallel.forEachChunk(count: n, chunks: chunks, threads: threads) { chunk, rows in
                            var sum = 0.0
                            for i in rows {
                                let xi = x + i * d
                                var best = Float.infinity
                                var bestJ = 0
                                for j in 0..<k {
                                    let dist = norms[i] - 2 * DenseKernels.dot(xi, c + j * d, d) + centreNorms[j]
                                    if dist < best {
                                        best = dist
                                        bestJ = j
                                    }
                                }
                                best = max(best, 0)
                                l[i] = bestJ
                                o[i] = best
                                sum += Double(best)
                            }
                            p[chunk] = sum
                        }
                    }
                }
            }
        }
        return (labels, dists, partial.reduce(0, +))
    }

    /// Lloyd iterations from `centres` until no label changes, the centre shift is within `tolerance`, or
    /// `maxIterations`. An emptied cluster is re-seeded with the point farthest from its centre.
    func lloyd(centres start: [Float], k: Int, maxIterations: Int, tolerance: Double) -> KMeans.Result {
        var centres = start
        var previous: [Int] = []
        var iterations = 0
        for iteration in 1...maxIterations {
            iterations = iteration
            var (labels, dists, _) = assign(centres: centres, k: k)
            reseedEmptyClusters(labels: &labels, distances: dists, k: k)
            let updated = means(labels: labels, k: k, fallback: centres)
            var shift = 0.0
            for t in 0..<(k * d) {
                let e = Double(updated[t]) - Double(centres[t])
                shift += e * e
            }
            centres = updated
            if labels == previous || shift <= tolerance { break }
            previous = labels
        }
        let final = assign(centres: centres, k: k)
        return KMeans.Result(
            centres: centres, labels: final.labels, inertia: final.inertia, iterations: iterations,
            restart: 0)
    }

    /// Moves, for each empty cluster, the point farthest from its own centre (taken from a cluster with more than
    /// one member) into it.
    func reseedEmptyClusters(labels: inout [Int], distances: [Float], k: Int) {
        var counts = [Int](repeating: 0, count: k)
        for l in labels { counts[l] += 1 }
        let empty = (0..<k).filter { counts[$0] == 0 }
        guard !empty.isEmpty else { return }
        let order = (0..<n).sorted { a, b in
            distances[a] != distances[b] ? distances[a] > distances[b] : a < b
        }
        var cursor = 0
        for e in empty {
            while cursor < order.count && counts[labels[order[cursor]]] <= 1 { cursor += 1 }
            guard cursor < order.count else { return }
            let p = order[cursor]
            counts[labels[p]] -= 1
            labels[p] = e
            counts[e] += 1
            cursor += 1
        }
    }

    /// Mean of the members of every cluster (sums in Double); a cluster without members keeps its `fallback` centre.
    /// Rows are summed in 16 fixed chunks whose partial sums are added in chunk order.
    func means(labels: [Int], k: Int, fallback: [Float]) -> [Float] {
        var counts = [Int](repeating: 0, count: k)
        for l in labels { counts[l] += 1 }
        let rowChunks = Parallel.chunkCount(n, maxChunks: 16)
        var partial = [Double](repeating: 0, count: rowChunks * k * d)
        partial.withUnsafeMutableBufferPointer { pb in
            labels.withUnsafeBufferPointer { lb in
                let p = pb.baseAddress!
                let l = lb.baseAddress!
                Parallel.forEachChunk(count: n, chunks: rowChunks, threads: threads) { chunk, rows in
                    let acc = p + chunk * k * d
                    for i in rows {
                        let row = x + i * d
                        let target = acc + l[i] * d
                        for t in 0..<d { target[t] += Double(row[t]) }
                    }
                }
            }
        }
        var out = fallback
        for j in 0..<k where counts[j] > 0 {
            let inv = 1.0 / Double(counts[j])
            for t in 0..<d {
                var sum = 0.0
                for c in 0..<rowChunks { sum += partial[(c * k + j) * d + t] }
                out[j * d + t] = Float(sum * inv)
            }
        }
        return out
    }

    private func copyRow(_ i: Int, into centres: inout [Float], at j: Int) {
        for t in 0..<d { centres[j * d + t] = x[i * d + t] }
    }

    /// First index whose cumulative value exceeds `u`.
    private func firstIndex(in cumulative: [Double], above u: Double) -> Int {
        var lo = 0
        var hi = cumulative.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] <= u { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
