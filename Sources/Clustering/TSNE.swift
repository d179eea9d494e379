/// t-distributed stochastic neighbour embedding (van der Maaten & Hinton 2008) into 2-D, following scikit-learn's
/// `TSNE` defaults: perplexity 30, PCA initialisation (scaled to standard deviation 1e-4), early exaggeration 12 for
/// the first 250 iterations with momentum 0.5, then momentum 0.8, per-coordinate gains, learning rate
/// max(n / 12 / 4, 50), 1000 iterations.
///
/// The input is first reduced to `pcaDimensions` (50) principal components when it has more; affinities are computed
/// there. Up to `exactLimit` (500) points the gradient is exact (O(n²) per iteration, P over all pairs); above it
/// Barnes–Hut (θ = 0.5, a quadtree) with P restricted to each point's ⌊3·perplexity⌋ + 1 nearest neighbours.
///
/// ```swift
/// let embedding = try TSNE(seed: 0).embed(features, n: 5000, d: 2048)
/// embedding.coordinates   // 5000 × 2 row-major
/// ```
public struct TSNE: Sendable, Equatable {
    /// How the gradient is computed.
    public enum Method: String, Sendable, Codable {
        /// Exact up to `exactLimit` points, Barnes–Hut above.
        case automatic
        /// All pairs, every iteration.
        case exact
        /// Quadtree approximation with sparse nearest-neighbour affinities.
        case barnesHut
    }

    /// Step size of gradient descent.
    public enum LearningRate: Sendable, Equatable {
        /// max(n / earlyExaggeration / 4, 50), scikit-learn's `"auto"`.
        case automatic
        /// A fixed value (200 is the classic choice).
        case fixed(Double)
    }

    /// The largest n embedded exactly by `.automatic`. Exact costs O(n²) per iteration: about 2 s for 500 points and
    /// 7 s for 1,000 on 2 busy cores, where Barnes–Hut takes about 3 s.
    public static let exactLimit = 500

    /// Effective number of neighbours; reduced to (n − 1)/3 for small inputs.
    public var perplexity: Double
    /// Gradient-descent iterations in total (including early exaggeration).
    public var iterations: Int
    /// Factor on P during the first `exaggerationIterations`.
    public var earlyExaggeration: Double
    /// Iterations with exaggerated P and momentum 0.5.
    public var exaggerationIterations: Int
    /// Step size, scikit-learn's `"auto"` by default.
    public var learningRate: LearningRate
    /// Barnes–Hut opening angle: a cell is summarised when its width / distance < θ.
    public var theta: Double
    /// Exact or Barnes–Hut gradient; `.automatic` picks by `exactLimit`.
    public var method: Method
    /// Input dimensions are first reduced to this many principal components (when larger).
    public var pcaDimensions: Int
    /// Seed of the PCA sketch (the only random draw).
    public var seed: UInt64
    /// Worker threads; 0 uses every active core. The result does not depend on it.
    public var threads: Int

    /// A configuration; the defaults are scikit-learn's.
    public init(
        perplexity: Double = 30, iterations: Int = 1000, earlyExaggeration: Double = 12,
        exaggerationIterations: Int = 250, learningRate: LearningRate = .automatic, theta: Double = 0.5,
        method: Method = .automatic, pcaDimensions: Int = 50, seed: UInt64 = 0, threads: Int = 0
    ) {
        self.perplexity = perplexity
        self.iterations = iterations
        self.earlyExaggeration = earlyExaggeration
        self.exaggerationIterations = exaggerationIterations
        self.learningRate = learningRate
        self.theta = theta
        self.method = method
        self.pcaDimensions = pcaDimensions
        self.seed = seed
        self.threads = threads
    }

    /// An embedding.
    public struct Result: Sendable, Equatable {
        /// Coordinates, n × 2 row-major.
        public var coordinates: [Float]
        /// KL(P‖Q) at the end (Barnes–Hut: over the sparse P with the tree's normaliser, as scikit-learn reports).
        public var klDivergence: Double
        /// The method used (never `.automatic`).
        public var method: Method
        /// The perplexity used after the small-n reduction.
        public var perplexity: Double
    }

    /// Embeds the rows of `x` (n × d) in 2-D.
    /// - Throws: `ClusteringError` for a wrong shape, NaN/infinite features or parameters out of range.
    public func embed(_ x: [Float], n: Int, d: Int) throws -> Result {
        try validateMatrix(x, rows: n, columns: d, name: "t-SNE features")
        try validateParameters()
        let usedMethod: Method = method == .automatic ? (n <= Self.exactLimit ? .exact : .barnesHut) : method
        let effectivePerplexity = min(perplexity, max(1, Double(n - 1) / 3))
        guard n > 1 else {
            return Result(coordinates: [0, 0], klDivergence: 0, method: usedMethod, perplexity: effectivePerplexity)
        }
        let workers = Parallel.resolvedThreads(threads)

        // Reduce, then initialise from the first two principal components.
        var reduced = x
        var width = d
        if d > pcaDimensions && n > pcaDimensions {
            reduced = try PCA(components: pcaDimensions, seed: seed, threads: workers).fit(x, n: n, d: d).scores
            width = pcaDimensions
        }
        let initial = try PCA(components: min(2, width), seed: seed &+ 1, threads: workers)
            .fit(reduced, n: n, d: width).scores
        var y = [Double](repeating: 0, count: 2 * n)
        let columns = min(2, width)
        var mean0 = 0.0
        var m2 = 0.0
        for i in 0..<n { mean0 += Double(initial[i * columns]) }
        mean0 /= Double(n)
        for i in 0..<n { m2 += (Double(initial[i * columns]) - mean0) * (Double(initial[i * columns]) - mean0) }
        let std0 = (m2 / Double(n)).squareRoot()
        let scale = std0 > 0 ? 1e-4 / std0 : 1
        for i in 0..<n { for c in 0..<columns { y[2 * i + c] = Double(initial[i * columns + c]) * scale } }

        let affinities: Affinities
        if usedMethod == .exact {
            affinities = .dense(
                TSNEAffinities.dense(
                    reduced, n: n, d: width, perplexity: effectivePerplexity,
                    threads: workers))
        } else {
            let neighbours = min(n - 1, Int(3 * effectivePerplexity + 1))
            affinities = .sparse(
                TSNEAffinities.sparse(
                    reduced, n: n, d: width, neighbours: neighbours,
                    perplexity: effectivePerplexity, threads: workers))
        }
        let rate: Double
        switch learningRate {
        case .automatic: rate = max(Double(n) / earlyExaggeration / 4, 50)
        case .fixed(let value): rate = value
        }
        let optimiser = TSNEOptimiser(n: n, affinities: affinities, theta: theta, threads: workers)
        let stage1 = min(exaggerationIterations, iterations)
        optimiser.descend(&y, iterations: stage1, momentum: 0.5, learningRate: rate, exaggeration: earlyExaggeration)
        optimiser.descend(&y, iterations: iterations - stage1, momentum: 0.8, learningRate: rate, exaggeration: 1)
        let kl = optimiser.klDivergence(y)
        return Result(
            coordinates: y.map(Float.init), klDivergence: kl, method: usedMethod,
            perplexity: effectivePerplexity)
    }

    private func validateParameters() throws {
        func bad(_ name: String, _ value: Any, _ reason: String) -> ClusteringError {
            .invalidParameter(name: "t-SNE \(name)", value: "\(value)", reason: reason)
        }
        guard perplexity > 0, perplexity.isFinite else { throw bad("perplexity", perplexity, "use a value > 0 (30 is usual)") }
        guard iterations >= 0 else { throw bad("iterations", iterations, "use 0 or more (1000 is usual)") }
        guard exaggerationIterations >= 0 else { throw bad("exaggerationIterations", exaggerationIterations, "use 0 or more") }
        guard earlyExaggeration > 0, earlyExaggeration.isFinite else { throw bad("earlyExaggeration", earlyExaggeration, "use a value > 0 (12 is usual)") }
        guard theta >= 0, theta.isFinite else { throw bad("theta", theta, "use a value ≥ 0 (0.5 is usual)") }
        guard pcaDimensions >= 2 else { throw bad("pcaDimensions", pcaDimensions, "use 2 or more (50 is usual)") }
        if case .fixed(let value) = learningRate, !(value > 0 && value.isFinite) {
            throw bad("learningRate", value, "use a value > 0 (200 is usual)")
        }
    }
}

/// Joint probabilities P of t-SNE, summing to 1.
enum Affinities {
    /// n × n, symmetric, zero diagonal.
    case dense([Double])
    /// Compressed rows, symmetric.
    case sparse(SparseAffinities)
}

/// Symmetric sparse P in compressed-row form.
struct SparseAffinities {
    /// Row i spans rowStart[i]..<rowStart[i + 1] of `columns` and `values`.
    var rowStart: [Int]
    var columns: [Int32]
    var values: [Double]
}
