/// Input-space affinities of t-SNE: a Gaussian per point whose width gives the requested perplexity (binary search on
/// the precision β = 1/(2σ²), as scikit-learn's `_binary_search_perplexity`), symmetrised and normalised.
enum TSNEAffinities {
    /// Conditional p_j|i over the squared distances `distances` (count values) written into `out`.
    /// Distances are shifted by their minimum first, which leaves p unchanged and avoids underflow.
    static func conditionalRow(
        _ distances: UnsafePointer<Double>, count: Int, perplexity: Double,
        into out: UnsafeMutablePointer<Double>
    ) {
        guard count > 0 else { return }
        var smallest = Double.infinity
        for j in 0..<count { smallest = min(smallest, distances[j]) }
        let target = _clusteringLog(perplexity)
        var beta = 1.0
        var low = -Double.infinity
        var high = Double.infinity
        for _ in 0..<100 {
            var sum = 0.0
            var weighted = 0.0
            for j in 0..<count {
                let shifted = distances[j] - smallest
                let p = _clusteringExp(-shifted * beta)
                out[j] = p
                sum += p
                weighted += shifted * p
            }
            let entropy = _clusteringLog(sum) + beta * weighted / sum
            for j in 0..<count { out[j] /= sum }
            let gap = entropy - target
            if abs(gap) <= 1e-5 { break }
            if gap > 0 {
                low = beta
                beta = high == .infinity ? beta * 2 : (beta + high) / 2
            } else {
                high = beta
                beta = low == -.infinity ? beta / 2 : (beta + low) / 2
            }
        }
    }

    /// Dense P over all pairs (exact t-SNE), entries at least Double.ulpOfOne off the diagonal like scikit-learn.
    static func dense(_ x: [Float], n: Int, d: Int, perplexity: Double, threads: Int) -> [Double] {
        let squared = pairwiseSquaredDistances(x, n: n, d: d, threads: threads)
        var conditional = [Double](repeating: 0, count: n * n)
        conditional.withUnsafeMutableBufferPointer { cb in
            squared.withUnsafeBufferPointer { sb in
                let c = cb.baseAddress!
                let s = sb.baseAddress!
                Parallel.forEachChunk(count: n, chunks: Parallel.chunkCount(n), threads: threads) { _, rows in
                    var others = [Double](repeating: 0, count: n - 1)
                    var probabilities = [Double](repeating: 0, count: n - 1)
                    for i in rows {
                        var t = 0
                        for j in 0..<n where j != i {
                            others[t] = s[i * n + j]
                            t += 1
                        }
                        others.withUnsafeBufferPointer { o in
                            probabilities.withUnsafeMutableBufferPointer { p in
                                conditionalRow(o.baseAddress!, count: n - 1, perplexity: perplexity, into: p.baseAddress!)
                            }
                        }
                        t = 0
                        for j in 0..<n where j != i {
                            c[i * n + j] = probabilities[t]
                            t += 1
                        }
                    }
                }
            }
        }
        var p = [Double](repeating: 0, count: n * n)
        var total = 0.0
        for i in 0..<n { for j in 0..<n where j != i { total += conditional[i * n + j] + conditional[j * n + i] } }
        for i in 0..<n {
            for j in 0..<n where j != i {
                p[i * n + j] = max((conditional[i * n + j] + conditional[j * n + i]) / total, Double.ulpOfOne)
            }
        }
        return p
    }

    /// Sparse P from each point's `neighbours` nearest neighbours (Barnes–Hut t-SNE): conditional over the
    /// neighbours, then P = (C + Cᵀ) / Σ.
    static func sparse(
        _ x: [Float], n: Int, d: Int, neighbours k: Int, perplexity: Double, threads: Int
    )
        -> SparseAffinities
    {
        let (indices, distances) = nearestNeighbours(x, n: n, d: d, k: k, threads: threads)
        var conditional = [Double](repeating: 0, count: n * k)
        conditional.withUnsafeMutableBufferPointer { cb in
            distances.withUnsafeBufferPointer { db in
                let c = cb.baseAddress!
                let dist = db.baseAddress!
                Parallel.forEachChunk(count: n, chunks: Parallel.chunkCount(n), threads: threads) { _, rows in
                    for i in rows { conditionalRow(dist + i * k, count: k, perplexity: perplexity, into: c + i * k) }
                }
            }
        }
        // Symmetrise: every (i, j, c) also counts as (j, i, c); merge duplicates after sorting by (row, column).
        var entries: [(key: Int, value: Double)] = []
        entries.reserveCapacity(2 * n * k)
        for i in 0..<n {
            for t in 0..<k {
                let j = Int(indices[i * k + t])
                let v = conditional[i * k + t]
                entries.append((i * n + j, v))
                entries.append((j * n + i, v))
            }
        }
        entries.sort { $0.key < $1.key }
        var rowStart = [Int](repeating: 0, count: n + 1)
        var columns: [Int32] = []
        var values: [Double] = []
        columns.reserveCapacity(entries.count)
        values.reserveCapacity(entries.count)
        var total = 0.0
        var e = 0
        while e < entries.count {
            let key = entries[e].key
            var v = 0.0
            while e < entries.count && entries[e].key == key {
                v += entries[e].value
                e += 1
            }
            columns.append(Int32(key % n))
            values.append(v)
            rowStart[key / n + 1] += 1
            total += v
        }
        for i in 0..<n { rowStart[i + 1] += rowStart[i] }
        for t in values.indices { values[t] /= total }
        return SparseAffinities(rowStart: rowStart, columns: columns, values: values)
    }

    /// All squared distances (n × n) with ‖a‖² − 2a·b + ‖b‖², clamped at 0, diagonal 0.
    static func pairwiseSquaredDistances(_ x: [Float], n: Int, d: Int, threads: Int) -> [Double] {
        var out = [Double](repeating: 0, count: n * n)
        x.withUnsafeBufferPointer { xb in
            let norms = DenseKernels.rowSquaredNorms(xb, rows: n, columns: d)
            let px = xb.baseAddress!
            out.withUnsafeMutableBufferPointer { ob in
                let o = ob.baseAddress!
                Parallel.forEachChunk(count: n, chunks: Parallel.chunkCount(n), threads: threads) { _, rows in
                    for i in rows {
                        for j in 0..<n where j != i {
                            let dot = DenseKernels.dot(px + i * d, px + j * d, d)
                            o[i * n + j] = Double(max(norms[i] - 2 * dot + norms[j], 0))
                        }
                    }
                }
            }
        }
        return out
    }

    /// The k nearest other points of every point (brute force), sorted by increasing squared distance.
    static func nearestNeighbours(
        _ x: [Float], n: Int, d: Int, k: Int, threads: Int
    )
        -> (indices: [Int32], distances: [Double])
    {
        var indices = [Int32](repeating: 0, count: n * k)
        var distances = [Double](repeating: 0, count: n * k)
        x.withUnsafeBufferPointer { xb in
            let norms = DenseKernels.rowSquaredNorms(xb, rows: n, columns: d)
            let px = xb.baseAddress!
            indices.withUnsafeMutableBufferPointer { ib in
                distances.withUnsafeMutableBufferPointer { db in
                    let outIndex = ib.baseAddress!
                    let outDistance = db.baseAddress!
                    Parallel.forEachChunk(count: n, chunks: Parallel.chunkCount(n), threads: threads) { _, rows in
                        for i in rows {
                            let bestIndex = outIndex + i * k
                            let bestDistance = outDistance + i * k
                            var filled = 0
                            for j in 0..<n where j != i {
                                let dot = DenseKernels.dot(px + i * d, px + j * d, d)
                                let dist = Double(max(norms[i] - 2 * dot + norms[j], 0))
                                if filled == k && dist >= bestDistance[k - 1] { continue }
                                // Insertion into the sorted list; ties keep the lower index first.
                                var slot = filled == k ? k - 1 : filled
                                while slot > 0 && bestDistance[slot - 1] > dist {
                                    bestDistance[slot] = bestDistance[slot - 1]
                                    bestIndex[slot] = bestIndex[slot - 1]
                                    slot -= 1
                                }
                                bestDistance[slot] = dist
                                bestIndex[slot] = Int32(j)
                                if filled < k { filled += 1 }
                            }
                        }
                    }
                }
            }
        }
        return (indices, distances)
    }
}
