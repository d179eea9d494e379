import Foundation
import Imaging

/// Per-image results of a pass over a dataset: features, soft and hard assignments, labels, paths.
public struct Assignments: Sendable {
    public let k: Int
    public let dimension: Int
    /// `[count, dimension]`, row-major.
    public var features: [Float] = []
    /// `[count, k]`, row-major.
    public var q: [Float] = []
    public var clusters: [Int] = []
    public var labels: [Int?] = []
    public var paths: [URL] = []
    /// Each image's index in its dataset.
    public var indices: [Int] = []

    init(k: Int, dimension: Int) {
        self.k = k
        self.dimension = dimension
    }

    public var count: Int { clusters.count }

    mutating func append(z: [Float], q batchQ: [Float], batch: ImageBatch) {
        append(z: z, q: batchQ, labels: batch.labels[...], paths: batch.paths[...], indices: batch.indices[...])
    }

    /// Appends images with features `z` (`[count, dimension]`) and probabilities `batchQ` (`[count, k]`).
    mutating func append(z: [Float], q batchQ: [Float], labels l: ArraySlice<Int?>, paths p: ArraySlice<URL>, indices i: ArraySlice<Int>) {
        features += z
        q += batchQ
        for r in 0..<l.count {
            var best = 0
            for j in 1..<max(k, 1) where batchQ[r * k + j] > batchQ[r * k + best] { best = j }
            clusters.append(best)
        }
        labels += l
        paths += p
        indices += i
    }

    /// The soft-assignment probability of each image's own cluster.
    public var confidence: [Float] { clusters.indices.map { q[$0 * k + clusters[$0]] } }
}
