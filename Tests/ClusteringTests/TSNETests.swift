import Determinism
import Testing

@testable import Clustering

@Suite struct TSNETests {
    let blobCentres: [[Float]] = [
        [Float](repeating: 0, count: 12),
        (0..<12).map { $0 < 6 ? 8 : 0 },
        (0..<12).map { $0 >= 6 ? 8 : 0 },
    ]

    /// Fraction of points whose nearest other point in the embedding has the same label.
    func nearestNeighbourAgreement(_ y: [Float], labels: [Int]) -> Double {
        let n = labels.count
        var agree = 0
        for i in 0..<n {
            var best = Float.infinity
            var bestJ = 0
            for j in 0..<n where j != i {
                let dx = y[2 * i] - y[2 * j]
                let dy = y[2 * i + 1] - y[2 * j + 1]
                if dx * dx + dy * dy < best {
                    best = dx * dx + dy * dy
                    bestJ = j
                }
            }
            if labels[bestJ] == labels[i] { agree += 1 }
        }
        return Double(agree) / Double(n)
    }

    @Test func perplexitySearchHitsTheTarget() {
        var rng = SeededGenerator(seed: 2)
        let distances = (0..<40).map { _ in Double(rng.nextUniform() * 30) }
        var p = [Double](repeating: 0, count: 40)
        distances.withUnsafeBufferPointer { d in
            p.withUnsafeMutableBufferPointer { TSNEAffinities.conditionalRow(d.baseAddress!, count: 40, perplexity: 10, into: $0.baseAddress!) }
        }
        #expect(abs(p.reduce(0, +) - 1) < 1e-12)
        let entropy = -p.filter { $0 > 0 }.reduce(0.0) { $0 + $1 * $1.logNatural }
        #expect(abs(entropy - 10.0.logNatural) < 1e-4)
    }

    @Test func affinitiesAreSymmetricAndNormalised() {
        let data = gaussianBlobs(centres: blobCentres, perCluster: 10, spread: 1, seed: 1)
        let n = 30
        let d = 12
        let dense = TSNEAffinities.dense(data.x, n: n, d: d, perplexity: 5, threads: 1)
        #expect(abs(dense.reduce(0, +) - 1) < 1e-6)
        for i in 0..<n { for j in 0..<n { #expect(dense[i * n + j] == dense[j * n + i]) } }
        let sparse = TSNEAffinities.sparse(data.x, n: n, d: d, neighbours: 16, perplexity: 5, threads: 1)
        #expect(abs(sparse.values.reduce(0, +) - 1) < 1e-9)
        var entries: [Int: Double] = [:]
        for i in 0..<n {
            for e in sparse.rowStart[i]..<sparse.rowStart[i + 1] { entries[i * n + Int(sparse.columns[e])] = sparse.values[e] }
        }
        for (key, v) in entries { #expect(entries[(key % n) * n + key / n] == v) }
        // With every other point as a neighbour the sparse P equals the dense one.
        let full = TSNEAffinities.sparse(data.x, n: n, d: d, neighbours: n - 1, perplexity: 5, threads: 1)
        for i in 0..<n {
            for e in full.rowStart[i]..<full.rowStart[i + 1] {
                #expect(abs(full.values[e] - dense[i * n + Int(full.columns[e])]) < 1e-12)
            }
        }
    }

    @Test func nearestNeighboursMatchASortedScan() {
        let data = gaussianBlobs(centres: blobCentres, perCluster: 8, spread: 2, seed: 6)
        let n = 24
        let d = 12
        let k = 5
        let (indices, distances) = TSNEAffinities.nearestNeighbours(data.x, n: n, d: d, k: k, threads: 2)
        for i in 0..<n {
            let order = (0..<n).filter { $0 != i }.map { j -> (Int, Double) in
                var s = 0.0
                for t in 0..<d { s += Double((data.x[i * d + t] - data.x[j * d + t]) * (data.x[i * d + t] - data.x[j * d + t])) }
                return (j, s)
            }.sorted { $0.1 < $1.1 }
            for t in 0..<k {
                #expect(abs(distances[i * k + t] - order[t].1) < 1e-3 * max(order[t].1, 1))
            }
            #expect(Set(indices[(i * k)..<(i * k + k)].map(Int.init)).count == k)
        }
    }

    @Test func quadTreeRepulsionMatchesBruteForce() {
        var rng = SeededGenerator(seed: 9)
        let n = 200
        var y = (0..<(2 * n)).map { _ in Double(rng.nextGaussian()) * 3 }
        y[2] = y[0]
        y[3] = y[1]  // coincident points must not break the tree
        y.withUnsafeBufferPointer { yb in
            let tree = QuadTree(points: yb, count: n)
            #expect(tree.nodes[0].count == n)
            tree.nodes.withUnsafeBufferPointer { nodes in
                tree.leafOfPoint.withUnsafeBufferPointer { leaves in
                    withUnsafeTemporaryAllocation(of: Int32.self, capacity: 3 * QuadTree.maxDepth + 8) { stack in
                        for i in [0, 1, 50, 199] {
                            var fx = 0.0
                            var fy = 0.0
                            var z = 0.0
                            for j in 0..<n where j != i {
                                let dx = y[2 * i] - y[2 * j]
                                let dy = y[2 * i + 1] - y[2 * j + 1]
                                let q = 1 / (1 + dx * dx + dy * dy)
                                z += q
                                fx += q * q * dx
                                fy += q * q * dy
                            }
                            let exact = QuadTree.repulsion(
                                nodes: nodes, leafOfPoint: leaves, point: i, x: y[2 * i],
                                y: y[2 * i + 1], theta: 0, stack: stack.baseAddress!)
                            #expect(abs(exact.sumQ - z) < 1e-9 * z)
                            #expect(abs(exact.fx - fx) < 1e-9 && abs(exact.fy - fy) < 1e-9)
                            let approx = QuadTree.repulsion(
                                nodes: nodes, leafOfPoint: leaves, point: i, x: y[2 * i],
                                y: y[2 * i + 1], theta: 0.5, stack: stack.baseAddress!)
                            #expect(abs(approx.sumQ - z) < 0.02 * z)
                        }
                    }
                }
            }
        }
    }

    @Test func exactGradientMatchesFiniteDifferencesOfKL() {
        let data = gaussianBlobs(centres: blobCentres, perCluster: 3, spread: 1, seed: 3)
        let n = 9
        let p = TSNEAffinities.dense(data.x, n: n, d: 12, perplexity: 2, threads: 1)
        let optimiser = TSNEOptimiser(n: n, affinities: .dense(p), theta: 0, threads: 1)
        var rng = SeededGenerator(seed: 5)
        let y = (0..<(2 * n)).map { _ in Double(rng.nextGaussian()) }
        var gradient = [Double](repeating: 0, count: 2 * n)
        optimiser.computeGradient(y, exaggeration: 1, into: &gradient)
        for t in 0..<(2 * n) {
            var plus = y
            var minus = y
            plus[t] += 1e-6
            minus[t] -= 1e-6
            let numeric = (optimiser.klDivergence(plus) - optimiser.klDivergence(minus)) / 2e-6
            #expect(abs(numeric - gradient[t]) < 1e-5, "∂KL/∂y[\(t)]")
        }
        // Barnes–Hut with θ = 0 and every pair in P gives the same gradient.
        let sparse = TSNEAffinities.sparse(data.x, n: n, d: 12, neighbours: n - 1, perplexity: 2, threads: 1)
        var bh = [Double](repeating: 0, count: 2 * n)
        TSNEOptimiser(n: n, affinities: .sparse(sparse), theta: 0, threads: 1).computeGradient(y, exaggeration: 1, into: &bh)
        for t in 0..<(2 * n) { #expect(abs(bh[t] - gradient[t]) < 1e-9) }
    }

    @Test(arguments: [TSNE.Method.exact, .barnesHut])
    func separatesBlobs(method: TSNE.Method) throws {
        let data = gaussianBlobs(centres: blobCentres, perCluster: 30, spread: 1, seed: 12)
        let result = try TSNE(perplexity: 10, iterations: 300, method: method, pcaDimensions: 8, seed: 3)
            .embed(data.x, n: 90, d: 12)
        #expect(result.method == method)
        #expect(result.coordinates.count == 180)
        #expect(result.coordinates.allSatisfy { $0.isFinite })
        #expect(result.klDivergence > 0 && result.klDivergence < 2)
        #expect(nearestNeighbourAgreement(result.coordinates, labels: data.labels) >= 0.95)
    }

    @Test func resultDoesNotDependOnThreads() throws {
        let data = gaussianBlobs(centres: blobCentres, perCluster: 20, spread: 2, seed: 4)
        let config = TSNE(perplexity: 8, iterations: 60, method: .barnesHut, seed: 1, threads: 1)
        var parallel = config
        parallel.threads = 2
        #expect(try config.embed(data.x, n: 60, d: 12) == parallel.embed(data.x, n: 60, d: 12))
    }

    @Test func tinyInputsAndBadParameters() throws {
        #expect(try TSNE().embed([1, 2, 3], n: 1, d: 3).coordinates == [0, 0])
        let three = try TSNE(iterations: 50).embed([0, 0, 1, 1, 5, 5], n: 3, d: 2)
        #expect(three.perplexity == 1)
        #expect(three.coordinates.allSatisfy { $0.isFinite })
        for method in [TSNE.Method.exact, .barnesHut] {
            let same = try TSNE(iterations: 30, method: method).embed([Float](repeating: 3, count: 40 * 4), n: 40, d: 4)
            #expect(same.coordinates.allSatisfy { $0.isFinite }, "\(method): identical points")
        }
        #expect(throws: ClusteringError.nonFinite(name: "t-SNE features", row: 0, column: 1)) {
            try TSNE().embed([0, .infinity], n: 1, d: 2)
        }
        #expect(throws: ClusteringError.self) { try TSNE(perplexity: 0).embed([0, 1, 2, 3], n: 2, d: 2) }
        #expect(throws: ClusteringError.self) {
            try TSNE(learningRate: .fixed(-1)).embed([0, 1, 2, 3], n: 2, d: 2)
        }
    }
}
