import Foundation
import Testing

@testable import Clustering

/// One case of `Fixtures/linkage.json` (SciPy's average linkage on cosine distances).
struct LinkageCase: Decodable {
    let name: String
    let n: Int, d: Int
    let x: [Double]
    let distances: [Double]
    let clusters: [String: [Int]]
}

@Suite struct AverageLinkageTests {
    struct Fixture: Decodable { let cases: [LinkageCase] }

    /// Clusters renumbered in the order of their first point, so that two numberings of one partition compare equal.
    static func canonical(_ labels: [Int]) -> [Int] {
        var number: [Int: Int] = [:]
        return labels.map { l in
            if let c = number[l] { return c }
            number[l] = number.count
            return number.count - 1
        }
    }

    @Test func matchesSciPy() throws {
        for c in try loadFixture("linkage", as: Fixture.self).cases {
            let x = c.x.map(Float.init)
            let merges = try AverageLinkage.merges(x, n: c.n, d: c.d)
            #expect(merges.count == c.n - 1)
            // 1 − cos in float32 is exact to a few 1e-7 absolute (SciPy's is float64): within 5e-7 near 0.
            #expect(close(merges.map(\.distance), c.distances, relative: 1e-5, floor: 0.05), "\(c.name): merge distances differ from SciPy's")
            for (k, expected) in c.clusters {
                let labels = try AverageLinkage.labels(x, n: c.n, d: c.d, k: Int(k)!)
                #expect(labels == Self.canonical(expected), "\(c.name), k = \(k)")
            }
        }
    }

    /// Three tight points beside two groups of thirty get a cluster of their own, and the thirties stay whole.
    @Test func aSmallTightGroupKeepsItsCluster() throws {
        var data = gaussianBlobs(centres: [[1, 0, 0], [0, 1, 0]], perCluster: 30, spread: 0.3, seed: 5)
        let rare = gaussianBlobs(centres: [[0, 0, 1]], perCluster: 3, spread: 0.05, seed: 6)
        data.x += rare.x
        let labels = try AverageLinkage.labels(data.x, n: 63, d: 3, k: 3)
        #expect(Set(labels[60...]).count == 1 && !labels[..<60].contains(labels[60]), "\(labels)")
        #expect(try ClusteringMetrics.adjustedRandIndex(labels: data.labels + [2, 2, 2], clusters: labels) == 1)
        // The clusters' centres (as the agglomerative method's head takes them): the three's mean is theirs.
        let centres = try KMeans.means(data.x, n: 63, d: 3, labels: labels, k: 3)
        let row = labels[60] * 3
        let rareCentre = Array(centres[row..<(row + 3)])
        let x = data.x
        let expected: [Float] = (0..<3).map { t in (x[180 + t] + x[183 + t] + x[186 + t]) / 3 }
        #expect(zip(rareCentre, expected).allSatisfy { abs($0 - $1) < 1e-6 }, "\(rareCentre) against \(expected)")
    }

    @Test func refusesWhatItCannotCluster() {
        #expect(throws: ClusteringError.invalidClusterCount(k: 4, points: 3)) { try AverageLinkage.labels([1, 0, 0, 1, 1, 1], n: 3, d: 2, k: 4) }
        #expect(throws: ClusteringError.nonFinite(name: "average-linkage input", row: 1, column: 0)) {
            try AverageLinkage.labels([1, 0, .nan, 1], n: 2, d: 2, k: 1)
        }
        let n = AverageLinkage.maximumPoints + 1
        let error = #expect(throws: ClusteringError.self) { try AverageLinkage.merges([Float](repeating: 1, count: n), n: n, d: 1) }
        #expect(error?.description.contains("at most \(AverageLinkage.maximumPoints) points") == true, "\(String(describing: error))")
    }
}
