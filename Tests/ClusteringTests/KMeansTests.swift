import Testing

@testable import Clustering

@Suite struct KMeansTests {
    let centres: [[Float]] = [[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10]]

    @Test func recoversSeparatedBlobs() throws {
        let data = gaussianBlobs(centres: centres, perCluster: 50, spread: 1, seed: 3)
        let result = try KMeans(k: 4, seed: 1).fit(data.x, n: 200, d: 3)
        #expect(try ClusteringMetrics.adjustedRandIndex(labels: data.labels, clusters: result.labels) == 1)
        #expect(result.centres.count == 12)
        #expect(result.iterations >= 1)
        // Centres are the means of their members, and inertia is the sum of squared distances to them.
        var inertia = 0.0
        for j in 0..<4 {
            let members = (0..<200).filter { result.labels[$0] == j }
            for c in 0..<3 {
                let mean = members.reduce(0.0) { $0 + Double(data.x[$1 * 3 + c]) } / Double(members.count)
                #expect(abs(mean - Double(result.centres[j * 3 + c])) < 1e-4)
            }
            for i in members {
                for c in 0..<3 {
                    let e = Double(data.x[i * 3 + c] - result.centres[j * 3 + c])
                    inertia += e * e
                }
            }
        }
        #expect(abs(inertia - result.inertia) < 1e-3 * inertia)
        #expect(try KMeans.assign(data.x, n: 200, d: 3, centres: result.centres, k: 4) == result.labels)
    }

    @Test func sameSeedGivesTheSameResultOnAnyThreadCount() throws {
        let data = gaussianBlobs(centres: centres, perCluster: 30, spread: 4, seed: 5)
        let one = try KMeans(k: 5, restarts: 3, seed: 9, threads: 1).fit(data.x, n: 120, d: 3)
        let two = try KMeans(k: 5, restarts: 3, seed: 9, threads: 2).fit(data.x, n: 120, d: 3)
        #expect(one == two)
    }

    @Test func moreRestartsNeverRaiseInertia() throws {
        let data = gaussianBlobs(centres: centres, perCluster: 25, spread: 6, seed: 8)
        let single = try KMeans(k: 6, restarts: 1, seed: 2).fit(data.x, n: 100, d: 3)
        let many = try KMeans(k: 6, restarts: 8, seed: 2).fit(data.x, n: 100, d: 3)
        #expect(many.inertia <= single.inertia)
    }

    @Test func duplicatePointsAndKEqualToNDoNotBreak() throws {
        let same = [Float](repeating: 2, count: 5 * 2)
        let result = try KMeans(k: 3, restarts: 2).fit(same, n: 5, d: 2)
        #expect(result.labels.allSatisfy { (0..<3).contains($0) })
        #expect(result.inertia == 0)
        let distinct: [Float] = [0, 0, 1, 0, 5, 5, 9, 1]
        let exact = try KMeans(k: 4).fit(distinct, n: 4, d: 2)
        #expect(exact.inertia < 1e-9)
        #expect(Set(exact.labels).count == 4)
    }

    @Test func emptyClusterIsReseededFromTheFarthestPoint() {
        // Labels hold clusters 0 and 1 only; cluster 2 must take the farthest point of a cluster with spare members.
        let x: [Float] = [0, 1, 2, 50]
        x.withUnsafeBufferPointer { b in
            let engine = KMeansEngine(x: b.baseAddress!, n: 4, d: 1, threads: 1)
            var labels = [0, 0, 0, 1]
            engine.reseedEmptyClusters(labels: &labels, distances: [1, 0, 9, 0], k: 3)
            #expect(labels == [0, 0, 2, 1])
        }
    }

    @Test func rejectsBadInputWithClearMessages() {
        let x: [Float] = [0, 1, 2, 3]
        #expect(throws: ClusteringError.invalidClusterCount(k: 3, points: 2)) { try KMeans(k: 3).fit(x, n: 2, d: 2) }
        #expect(throws: ClusteringError.invalidClusterCount(k: 0, points: 2)) { try KMeans(k: 0).fit(x, n: 2, d: 2) }
        #expect(throws: ClusteringError.nonFinite(name: "k-means features", row: 1, column: 0)) {
            try KMeans(k: 1).fit([0, 1, .nan, 3], n: 2, d: 2)
        }
        #expect(throws: ClusteringError.shapeMismatch(name: "k-means features", expected: 6, actual: 4)) {
            try KMeans(k: 1).fit(x, n: 3, d: 2)
        }
        #expect(ClusteringError.invalidClusterCount(k: 3, points: 2).description.contains("ask for 2 clusters or fewer"))
        #expect(ClusteringError.nonFinite(name: "f", row: 1, column: 0).description.contains("NaN"))
    }
}
