import Compute

/// Each row's nearest other rows by cosine similarity, exactly: one oneDNN matrix product per block of rows.
enum NearestNeighbours {
    /// The `k` most similar other rows of each of the `n` rows of `x` (`[n, d]`), most similar first.
    static func cosine(_ x: [Float], n: Int, d: Int, k: Int, block: Int = 512) throws -> [[Int]] {
        let unit = ContrastiveLosses.l2Normalize(x, rows: n, columns: d)
        let all = try Tensor(shape: [n, d], values: unit)
        var out: [[Int]] = []
        out.reserveCapacity(n)
        var start = 0
        while start < n {
            let rows = min(block, n - start)
            let part = try Tensor(shape: [rows, d], values: Array(unit[(start * d)..<((start + rows) * d)]))
            let similarity = try MatrixOps.matmul(part, all, transposeB: true).toArray()
            for r in 0..<rows {
                let i = start + r
                out.append(largest(similarity[(r * n)..<((r + 1) * n)], count: k, excluding: i).map(\.index))
            }
            start += rows
        }
        return out
    }

    /// The positions and values of the `count` largest entries of `row` (positions from 0, ties by position),
    /// largest first, leaving out position `excluding`.
    static func largest(_ row: ArraySlice<Float>, count: Int, excluding: Int? = nil) -> [(index: Int, value: Float)] {
        var best: [(index: Int, value: Float)] = []
        best.reserveCapacity(count + 1)
        for (j, s) in row.enumerated() where j != excluding {
            if best.count < count || s > best[best.count - 1].value {
                let at = best.firstIndex { s > $0.value } ?? best.count
                best.insert((j, s), at: at)
                if best.count > count { best.removeLast() }
            }
        }
        return best
    }

    /// The share of (image, neighbour) pairs among the first `k` neighbours whose labels agree, for each `k` in
    /// `ks` (images without a label are left out). For reports only: labels choose nothing.
    static func labelAgreement(_ neighbours: [[Int]], labels: [Int?], ks: [Int]) -> [(k: Int, agreement: Double)] {
        ks.compactMap { k in
            var pairs = 0
            var agree = 0
            for (i, list) in neighbours.enumerated() {
                guard let li = labels[i] else { continue }
                for j in list.prefix(k) {
                    guard let lj = labels[j] else { continue }
                    pairs += 1
                    if li == lj { agree += 1 }
                }
            }
            return pairs > 0 ? (k, Double(agree) / Double(pairs)) : nil
        }
    }
}
