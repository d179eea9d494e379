/// Gradient descent of t-SNE with momentum and per-coordinate gains (scikit-learn's `_gradient_descent`: gains grow
/// by 0.2 where the step keeps its direction's sign flip, shrink by 0.8 otherwise, at least 0.01).
struct TSNEOptimiser {
    let n: Int
    let affinities: Affinities
    let theta: Double
    let threads: Int
    let chunks: Int
    /// The n × n kernel buffer of the exact gradient, reused across iterations.
    private let scratch = Scratch()

    private final class Scratch {
        var kernel: [Double] = []
    }

    init(n: Int, affinities: Affinities, theta: Double, threads: Int) {
        self.n = n
        self.affinities = affinities
        self.theta = theta
        self.threads = threads
        self.chunks = Parallel.chunkCount(n)
    }

    /// Runs `iterations` steps on `y` (n × 2); momentum and gains start afresh, as in each scikit-learn stage.
    func descend(_ y: inout [Double], iterations: Int, momentum: Double, learningRate: Double, exaggeration: Double) {
        guard iterations > 0 else { return }
        var update = [Double](repeating: 0, count: 2 * n)
        var gains = [Double](repeating: 1, count: 2 * n)
        var gradient = [Double](repeating: 0, count: 2 * n)
        for _ in 0..<iterations {
            computeGradient(y, exaggeration: exaggeration, into: &gradient)
            for t in 0..<(2 * n) {
                let g = gradient[t]
                if update[t] * g < 0 { gains[t] += 0.2 } else { gains[t] *= 0.8 }
                gains[t] = max(gains[t], 0.01)
                update[t] = momentum * update[t] - learningRate * gains[t] * g
                y[t] += update[t]
            }
        }
    }

    /// ∂KL/∂y = 4 Σ_j (e·p_ij − q_ij) q̃_ij (y_i − y_j), e the exaggeration, q̃ = 1/(1 + ‖y_i − y_j‖²), q = q̃ / Z.
    func computeGradient(_ y: [Double], exaggeration: Double, into gradient: inout [Double]) {
        switch affinities {
        case .dense(let p): exactGradient(y, p: p, exaggeration: exaggeration, into: &gradient)
        case .sparse: barnesHutGradient(y, exaggeration: exaggeration, into: &gradient)
        }
    }

    /// KL(P‖Q) for the embedding `y`: exact over all pairs, or over the sparse P with the tree's Z (Barnes–Hut).
    func klDivergence(_ y: [Double]) -> Double {
        let z = normaliser(y)
        var kl = 0.0
        switch affinities {
        case .dense(let p):
            for i in 0..<n {
                for j in 0..<n where j != i {
                    let q = max(1 / (1 + squaredDistance(y, i, j)) / z, Double.ulpOfOne)
                    kl += p[i * n + j] * _clusteringLog(max(p[i * n + j], Double.ulpOfOne) / q)
                }
            }
        case .sparse(let p):
            for i in 0..<n {
                for e in p.rowStart[i]..<p.rowStart[i + 1] {
                    let q = max(1 / (1 + squaredDistance(y, i, Int(p.columns[e]))) / z, Double.ulpOfOne)
                    kl += p.values[e] * _clusteringLog(max(p.values[e], Double.ulpOfOne) / q)
                }
            }
        }
        return kl
    }

    /// Z = Σ_{i≠j} q̃_ij, exact or from the tree.
    private func normaliser(_ y: [Double]) -> Double {
        if case .dense = affinities {
            var z = 0.0
            for i in 0..<n { for j in 0..<n where j != i { z += 1 / (1 + squaredDistance(y, i, j)) } }
            return z
        }
        var gradient = [Double](repeating: 0, count: 2 * n)
        return barnesHutGradient(y, exaggeration: 1, into: &gradient)
    }

    private func squaredDistance(_ y: [Double], _ i: Int, _ j: Int) -> Double {
        let dx = y[2 * i] - y[2 * j]
        let dy = y[2 * i + 1] - y[2 * j + 1]
        return dx * dx + dy * dy
    }

    /// All pairs: q̃ is computed once per pair into `kernel` (n × n), then reused for the gradient.
    func exactGradient(_ y: [Double], p: [Double], exaggeration: Double, into gradient: inout [Double]) {
        var partial = [Double](repeating: 0, count: chunks)
        if scratch.kernel.count != n * n { scratch.kernel = [Double](repeating: 0, count: n * n) }
        y.withUnsafeBufferPointer { yb in
            let py = yb.baseAddress!
            scratch.kernel.withUnsafeMutableBufferPointer { kb in
                partial.withUnsafeMutableBufferPointer { zb in
                    let pk = kb.baseAddress!
                    let pz = zb.baseAddress!
                    Parallel.forEachChunk(count: n, chunks: chunks, threads: threads) { chunk, rows in
                        var z = 0.0
                        for i in rows {
                            let xi = py[2 * i]
                            let yi = py[2 * i + 1]
                            let row = pk + i * n
                            for j in 0..<n {
                                let dx = xi - py[2 * j]
                                let dy = yi - py[2 * j + 1]
                                row[j] = 1 / (1 + dx * dx + dy * dy)
                            }
                            row[i] = 0
                            for j in 0..<n { z += row[j] }
                        }
                        pz[chunk] = z
                    }
                }
            }
            let inverseZ = 1 / partial.reduce(0, +)
            p.withUnsafeBufferPointer { pb in
                scratch.kernel.withUnsafeBufferPointer { kb in
                    gradient.withUnsafeMutableBufferPointer { gb in
                        let pp = pb.baseAddress!
                        let pk = kb.baseAddress!
                        let g = gb.baseAddress!
                        Parallel.forEachChunk(count: n, chunks: chunks, threads: threads) { _, rows in
                            for i in rows {
                                let xi = py[2 * i]
                                let yi = py[2 * i + 1]
                                let row = pk + i * n
                                let prow = pp + i * n
                                var gx = 0.0
                                var gy = 0.0
                                for j in 0..<n {
                                    let q = row[j]
                                    let m = (exaggeration * prow[j] - q * inverseZ) * q
                                    gx += m * (xi - py[2 * j])
                                    gy += m * (yi - py[2 * j + 1])
                                }
                                g[2 * i] = 4 * gx
                                g[2 * i + 1] = 4 * gy
                            }
                        }
                    }
                }
            }
        }
    }

    /// Attraction over the sparse P (exact), repulsion from the quadtree; returns Z.
    @discardableResult
    func barnesHutGradient(
        _ y: [Double], exaggeration: Double, into gradient: inout [Double]
    )
        -> Double
    {
        guard case .sparse(let p) = affinities else { return 0 }
        var repulsive = [Double](repeating: 0, count: 2 * n)
        var partial = [Double](repeating: 0, count: chunks)
        y.withUnsafeBufferPointer { yb in
            let py = yb.baseAddress!
            let tree = QuadTree(points: yb, count: n)
            tree.nodes.withUnsafeBufferPointer { nodes in
                tree.leafOfPoint.withUnsafeBufferPointer { leaves in
                    repulsive.withUnsafeMutableBufferPointer { rb in
                        partial.withUnsafeMutableBufferPointer { zb in
                            let r = rb.baseAddress!
                            let pz = zb.baseAddress!
                            Parallel.forEachChunk(count: n, chunks: chunks, threads: threads) { chunk, rows in
                                withUnsafeTemporaryAllocation(of: Int32.self, capacity: 3 * QuadTree.maxDepth + 8) {
                                    stack in
                                    var z = 0.0
                                    for i in rows {
                                        let f = QuadTree.repulsion(
                                            nodes: nodes, leafOfPoint: leaves, point: i,
                                            x: py[2 * i], y: py[2 * i + 1], theta: theta,
                                            stack: stack.baseAddress!)
                                        r[2 * i] = f.fx
                                        r[2 * i + 1] = f.fy
                                        z += f.sumQ
                                    }
                                    pz[chunk] = z
                                }
                            }
                        }
                    }
                }
            }
            let z = partial.reduce(0, +)
            p.rowStart.withUnsafeBufferPointer { sb in
                p.columns.withUnsafeBufferPointer { cb in
                    p.values.withUnsafeBufferPointer { vb in
                        gradient.withUnsafeMutableBufferPointer { gb in
                            let start = sb.baseAddress!
                            let columns = cb.baseAddress!
                            let values = vb.baseAddress!
                            let g = gb.baseAddress!
                            Parallel.forEachChunk(count: n, chunks: chunks, threads: threads) { _, rows in
                                for i in rows {
                                    var ax = 0.0
                                    var ay = 0.0
                                    for e in start[i]..<start[i + 1] {
                                        let j = Int(columns[e])
                                        let dx = py[2 * i] - py[2 * j]
                                        let dy = py[2 * i + 1] - py[2 * j + 1]
                                        let m = values[e] / (1 + dx * dx + dy * dy)
                                        ax += m * dx
                                        ay += m * dy
                                    }
                                    g[2 * i] = 4 * (exaggeration * ax - repulsive[2 * i] / z)
                                    g[2 * i + 1] = 4 * (exaggeration * ay - repulsive[2 * i + 1] / z)
                                }
                            }
                        }
                    }
                }
            }
            partial[0] = z
        }
        return partial[0]
    }
}
