import Clustering
import Determinism
import Foundation
import Testing

/// Reads a committed reference fixture (written by `Scripts/make_dec_fixtures.py`).
func loadFixture<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "json"))
    return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
}

/// |actual − expected| ≤ relative · max(|expected|, floor) for every element.
func close(_ actual: [Float], _ expected: [Double], relative: Double, floor: Double = 1e-6) -> Bool {
    guard actual.count == expected.count else { return false }
    for (a, e) in zip(actual, expected) where abs(Double(a) - e) > relative * max(abs(e), floor) { return false }
    return true
}

/// Gaussian blobs: `perCluster` points around each of `centres` (k × d) with standard deviation `spread`.
func gaussianBlobs(centres: [[Float]], perCluster: Int, spread: Float, seed: UInt64) -> (x: [Float], labels: [Int]) {
    var rng = SeededGenerator(seed: seed)
    var x: [Float] = []
    var labels: [Int] = []
    for (j, c) in centres.enumerated() {
        for _ in 0..<perCluster {
            for v in c { x.append(v + spread * rng.nextGaussian()) }
            labels.append(j)
        }
    }
    return (x, labels)
}
