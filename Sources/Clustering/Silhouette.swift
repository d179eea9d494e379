/// The mean silhouette (Rousseeuw 1987) of a clustering: for each point, (b − a) / max(a, b), where a is its
/// mean Euclidean distance to its own cluster's other points and b the smallest mean distance to another
/// cluster; points alone in their cluster count 0. In [−1, 1]; higher is better separated.
public enum Silhouette {
    /// `x` `[n, d]` row-major, `labels` in `0..<k`. Needs at least two clusters with points.
    public static func mean(_ x: [Float], n: Int, d: Int, labels: [Int], k: Int) throws -> Double {
        guard x.count == n * d, labels.count == n else { throw ClusteringError.shapeMismatch(name: "silhouette input", expected: n * d, actual: x.count) }
        var sizes = [Int](repeating: 0, count: k)
        for l in labels { sizes[l] += 1 }
        guard sizes.filter({ $0 > 0 }).count >= 2 else { return 0 }
        var total = 0.0
        var sums = [Double](repeating: 0, count: k)
        for i in 0..<n {
            for c in 0..<k { sums[c] = 0 }
            for j in 0..<n where j != i {
                var s: Float = 0
                for t in 0..<d { let v = x[i * d + t] - x[j * d + t]; s += v * v }
                sums[labels[j]] += Double(s.squareRoot())
            }
            let own = labels[i]
            guard sizes[own] > 1 else { continue }
            let a = sums[own] / Double(sizes[own] - 1)
            var b = Double.infinity
            for c in 0..<k where c != own && sizes[c] > 0 { b = min(b, sums[c] / Double(sizes[c])) }
            total += (b - a) / max(a, b)
        }
        return total / Double(n)
    }
}
