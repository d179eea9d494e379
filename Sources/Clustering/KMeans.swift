import Determinism

/// k-means clustering: k-means++ seeding (greedy, with 2 + ⌊ln k⌋ candidates per centre as scikit-learn does), Lloyd
/// iterations, several restarts keeping the lowest inertia.
///
/// ```swift
/// let result = try KMeans(k: 4, seed: 0).fit(features, n: 10_000, d: 2048)
/// result.labels      // [Int], n cluster indices in 0..<4
/// result.centres     // [Float], 4 × 2048 row-major
/// ```
///
/// Restart `r` draws from `SeededGenerator.derived(seed: seed, stream: r)`. Work is split over rows in a fixed number
/// of chunks, so the result is the same for every thread count.
public struct KMeans: Sendable, Equatable {
    /// Number of clusters, 1...n.
    public var k: Int
    /// Independent seedings; the run with the lowest inertia wins (ties: the earliest).
    public var restarts: Int
    /// Lloyd iterations per restart at most.
    public var maxIterations: Int
    /// Convergence threshold on Σ‖Δcentre‖², relative to the mean per-feature variance of the data (scikit-learn's
    /// `tol`). Iteration also stops as soon as no label changes.
    public var tolerance: Double
    /// Seed of every random draw.
    public var seed: UInt64
    /// Worker threads; 0 uses every active core.
    public var threads: Int

    /// A configuration; `k` clusters, the other settings as scikit-learn's `KMeans` defaults (10 restarts).
    public init(
        k: Int, restarts: Int = 10, maxIterations: Int = 300, tolerance: Double = 1e-4, seed: UInt64 = 0,
        threads: Int = 0
    ) {
        self.k = k
        self.restarts = restarts
        self.maxIterations = maxIterations
        self.tolerance = tolerance
        self.seed = seed
        self.threads = threads
    }

    /// The outcome of `fit`.
    public struct Result: Sendable, Equatable {
        /// Cluster centres, k × d row-major.
        public var centres: [Float]
        /// Cluster of every point, n values in 0..<k.
        public var labels: [Int]
        /// Σ squared Euclidean distance of every point to its centre.
        public var inertia: Double
        /// Lloyd iterations run by the winning restart.
        public var iterations: Int
        /// Index of the winning restart.
        public var restart: Int
    }

    /// Clusters the rows of `features` (n × d, row-major).
    /// - Throws: `ClusteringError` when the shape is wrong, a value is NaN/infinite, k is outside 1...n, or a
    ///   parameter is out of range.
    public func fit(_ features: [Float], n: Int, d: Int) throws -> Result {
        try validateMatrix(features, rows: n, columns: d, name: "k-means features")
        guard k >= 1, k <= n else { throw ClusteringError.invalidClusterCount(k: k, points: n) }
        guard restarts >= 1 else {
            throw ClusteringError.invalidParameter(name: "restarts", value: "\(restarts)", reason: "use 1 or more")
        }
        guard maxIterations >= 1 else {
            throw ClusteringError.invalidParameter(name: "maxIterations", value: "\(maxIterations)", reason: "use 1 or more")
        }
        guard tolerance >= 0, tolerance.isFinite else {
            throw ClusteringError.invalidParameter(name: "tolerance", value: "\(tolerance)", reason: "use a finite value ≥ 0")
        }
        return features.withUnsafeBufferPointer { x in
            let engine = KMeansEngine(x: x.baseAddress!, n: n, d: d, threads: Parallel.resolvedThreads(threads))
            let absoluteTolerance = tolerance * engine.meanFeatureVariance()
            var best: Result?
            for r in 0..<restarts {
                var rng = SeededGenerator.derived(seed: seed, stream: UInt64(r))
                let start = engine.seedCentres(k: k, rng: &rng)
                var run = engine.lloyd(centres: start, k: k, maxIterations: maxIterations, tolerance: absoluteTolerance)
                run.restart = r
                if best == nil || run.inertia < best!.inertia { best = run }
            }
            return best!
        }
    }

    /// The mean of each cluster's rows of `features` (n × d) under `labels` in `0..<k`, as k × d (a cluster without
    /// rows gets zeros): the centres of a partition found another way, as k-means' own are computed.
    public static func means(_ features: [Float], n: Int, d: Int, labels: [Int], k: Int, threads: Int = 0) throws -> [Float] {
        try validateMatrix(features, rows: n, columns: d, name: "features")
        try validateLabels(labels, count: k, name: "labels")
        return features.withUnsafeBufferPointer { x in
            KMeansEngine(x: x.baseAddress!, n: n, d: d, threads: Parallel.resolvedThreads(threads))
                .means(labels: labels, k: k, fallback: [Float](repeating: 0, count: k * d))
        }
    }

    /// The nearest of `k` centres (k × d) for every row of `features` (n × d).
    public static func assign(_ features: [Float], n: Int, d: Int, centres: [Float], k: Int, threads: Int = 0) throws -> [Int] {
        try validateMatrix(features, rows: n, columns: d, name: "features")
        try validateMatrix(centres, rows: k, columns: d, name: "centres")
        return features.withUnsafeBufferPointer { x in
            KMeansEngine(x: x.baseAddress!, n: n, d: d, threads: Parallel.resolvedThreads(threads))
                .assign(centres: centres, k: k).labels
        }
    }
}
