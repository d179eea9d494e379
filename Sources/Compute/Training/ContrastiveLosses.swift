import Foundation

/// The losses of self-supervised pretraining and of the SCAN cluster head, on row-major host matrices, with
/// PyTorch's semantics and explicit gradients.
public enum ContrastiveLosses {
    // MARK: L2 normalisation

    /// `F.normalize(x, dim=1)`: each of `rows` rows divided by max(‖row‖, `eps`).
    public static func l2Normalize(_ x: [Float], rows: Int, columns: Int, eps: Float = 1e-12) -> [Float] {
        var y = x
        for r in 0..<rows {
            let norm = max(rowNorm(x, r, columns), eps)
            for c in 0..<columns { y[r * columns + c] = x[r * columns + c] / norm }
        }
        return y
    }

    /// The gradient of `l2Normalize` with respect to `x`, given the gradient `gy` of its output: for rows longer
    /// than `eps`, (gy − y·⟨y, gy⟩) / ‖x‖; for shorter ones (divided by `eps`), gy / eps.
    public static func l2NormalizeBackward(_ x: [Float], gradient gy: [Float], rows: Int, columns: Int, eps: Float = 1e-12) -> [Float] {
        var gx = gy
        for r in 0..<rows {
            let norm = rowNorm(x, r, columns)
            let range = (r * columns)..<((r + 1) * columns)
            guard norm > eps else {
                for i in range { gx[i] = gy[i] / eps }
                continue
            }
            var dot: Double = 0
            for i in range { dot += Double(x[i]) * Double(gy[i]) }
            let projection = Float(dot) / (norm * norm)
            for i in range { gx[i] = (gy[i] - x[i] * projection) / norm }
        }
        return gx
    }

    private static func rowNorm(_ x: [Float], _ r: Int, _ columns: Int) -> Float {
        var s: Double = 0
        for c in 0..<columns {
            let v = Double(x[r * columns + c])
            s += v * v
        }
        return Float(s.squareRoot())
    }

    // MARK: NT-Xent (SimCLR)

    /// SimCLR's NT-Xent loss (Chen et al. 2020) on L2-normalised embeddings `z` `[2N, d]`, where rows `i` and
    /// `i + N` are the two views of one image: the mean over the 2N rows of the cross-entropy between the row's
    /// similarities to every other row, divided by `temperature`, and its partner. Returns the loss and its
    /// gradient with respect to `z`. The similarity matrix is one oneDNN matrix product.
    public static func ntXent(_ z: [Float], pairs n: Int, dimension d: Int, temperature: Float) throws -> (loss: Float, gradient: [Float]) {
        let rows = 2 * n
        guard n >= 1, z.count == rows * d else { throw ComputeError("NT-Xent: \(z.count) values are not [2·\(n), \(d)]") }
        guard temperature > 0 else { throw ComputeError("NT-Xent: the temperature must be positive (got \(temperature))") }
        let zt = try Tensor(shape: [rows, d], values: z)
        let similarity = try MatrixOps.matmul(zt, zt, transposeB: true).toArray()
        // g[i][j] = (softmax_j(s_ij / τ, j ≠ i) − [j = partner(i)]) / 2N: the gradient with respect to s_ij / τ.
        var g = [Float](repeating: 0, count: rows * rows)
        var total: Double = 0
        for i in 0..<rows {
            let partner = (i + n) % rows
            var peak = -Double.infinity
            for j in 0..<rows where j != i { peak = max(peak, Double(similarity[i * rows + j]) / Double(temperature)) }
            var sum: Double = 0
            for j in 0..<rows where j != i { sum += exp(Double(similarity[i * rows + j]) / Double(temperature) - peak) }
            let logSum = peak + log(sum)
            total += logSum - Double(similarity[i * rows + partner]) / Double(temperature)
            for j in 0..<rows where j != i {
                let p = exp(Double(similarity[i * rows + j]) / Double(temperature) - logSum)
                g[i * rows + j] = Float((p - (j == partner ? 1 : 0)) / Double(rows))
            }
        }
        // dL/dz = (G + Gᵀ) z / τ.
        var symmetric = g
        for i in 0..<rows { for j in 0..<rows { symmetric[i * rows + j] = (g[i * rows + j] + g[j * rows + i]) / temperature } }
        let gradient = try MatrixOps.matmul(Tensor(shape: [rows, rows], values: symmetric), zt).toArray()
        let loss = Float(total / Double(rows))
        guard loss.isFinite else { throw ComputeError("NT-Xent is \(loss) (not finite): the embeddings hold NaN/Inf or training diverged") }
        return (loss, gradient)
    }

    // MARK: BYOL

    /// BYOL's loss (Grill et al. 2020) for `n` images with two views each: the online network's predictions `p`
    /// and the target network's projections `z` (both `[2N, d]`, rows `i` and `i + N` the two views of one
    /// image). Each prediction is compared with the target projection of the other view: the loss is
    /// Σᵢ (2 − 2 cos(pᵢ, z_partner(i))) / N over the 2N rows, as the reference sums its two symmetric terms, each a
    /// batch mean. Returns the loss and its gradient with respect to `p` (the target gets none).
    public static func byol(predictions p: [Float], targets z: [Float], pairs n: Int, dimension d: Int) throws -> (loss: Float, gradient: [Float]) {
        let rows = 2 * n
        guard n >= 1, p.count == rows * d, z.count == rows * d else {
            throw ComputeError("BYOL: predictions (\(p.count) values) and targets (\(z.count)) are not both [2·\(n), \(d)]")
        }
        let pn = l2Normalize(p, rows: rows, columns: d)
        let zn = l2Normalize(z, rows: rows, columns: d)
        var total: Double = 0
        var gpn = [Float](repeating: 0, count: rows * d)
        for i in 0..<rows {
            let partner = (i + n) % rows
            var dot: Double = 0
            for c in 0..<d { dot += Double(pn[i * d + c]) * Double(zn[partner * d + c]) }
            total += 2 - 2 * dot
            for c in 0..<d { gpn[i * d + c] = -2 * zn[partner * d + c] / Float(n) }
        }
        let loss = Float(total / Double(n))
        guard loss.isFinite else { throw ComputeError("BYOL loss is \(loss) (not finite): the embeddings hold NaN/Inf or training diverged") }
        return (loss, l2NormalizeBackward(p, gradient: gpn, rows: rows, columns: d))
    }

    // MARK: SCAN

    /// The SCAN loss (Van Gansbeke et al. 2020) for `n` images and one neighbour each, from their logits
    /// `[n, k]`: −mean log ⟨softmax(a_i), softmax(b_i)⟩ (consistency) minus `entropyWeight` × the entropy of
    /// the mean prediction over the images (which keeps clusters from collapsing; the mean is clamped at 1e-8
    /// inside the log, as the reference implementation does). Gradients with respect to both logits.
    public static func scan(
        logits a: [Float], neighbourLogits b: [Float], n: Int, k: Int, entropyWeight: Float
    ) throws
        -> (loss: Float, consistency: Float, entropy: Float, gradient: [Float], neighbourGradient: [Float])
    {
        guard n >= 1, k >= 1, a.count == n * k, b.count == n * k else { throw ComputeError("SCAN: logits are not [\(n), \(k)]") }
        let p = softmaxRows(a, n, k)
        let q = softmaxRows(b, n, k)
        var consistency: Double = 0
        var dp = [Double](repeating: 0, count: n * k)
        var dq = dp
        for i in 0..<n {
            var dot: Double = 0
            for c in 0..<k { dot += p[i * k + c] * q[i * k + c] }
            consistency -= log(dot)
            for c in 0..<k {
                dp[i * k + c] = -q[i * k + c] / (dot * Double(n))
                dq[i * k + c] = -p[i * k + c] / (dot * Double(n))
            }
        }
        consistency /= Double(n)
        var mean = [Double](repeating: 0, count: k)
        for i in 0..<n { for c in 0..<k { mean[c] += p[i * k + c] / Double(n) } }
        var entropy: Double = 0
        for c in 0..<k { entropy -= mean[c] * log(max(mean[c], 1e-8)) }
        // d(−w·H)/dp_ic = w·(log m_c + 1)/n where the clamp is inactive, w·(log 1e-8)/n... + 0 where it is.
        for c in 0..<k {
            let dMean = Double(entropyWeight) * (mean[c] > 1e-8 ? log(mean[c]) + 1 : log(1e-8))
            for i in 0..<n { dp[i * k + c] += dMean / Double(n) }
        }
        let loss = consistency - Double(entropyWeight) * entropy
        guard loss.isFinite else { throw ComputeError("SCAN loss is \(loss) (not finite): the logits hold NaN/Inf or training diverged") }
        return (Float(loss), Float(consistency), Float(entropy), softmaxBackward(p, dp, n, k), softmaxBackward(q, dq, n, k))
    }

    // MARK: Self-labelling (SCAN's third step)

    /// Each class's weight for `targets` (values in `0..<k`): the inverse of its share, `n / count`, so that every
    /// cluster weighs the same in the loss whatever its size; 1 for a class that does not occur.
    public static func balancingWeights(_ targets: [Int], k: Int) -> [Float] {
        var counts = [Int](repeating: 0, count: k)
        for t in targets where (0..<k).contains(t) { counts[t] += 1 }
        return counts.map { $0 > 0 ? Float(targets.count) / Float($0) : 1 }
    }

    /// `F.cross_entropy(logits, targets, weight=classWeights)`: Σᵢ w[yᵢ] · −log softmax(xᵢ)[yᵢ] / Σᵢ w[yᵢ] over
    /// the `n` rows of `logits` `[n, k]`, and its gradient with respect to the logits.
    public static func weightedCrossEntropy(logits x: [Float], targets: [Int], k: Int, classWeights w: [Float]) throws -> (loss: Float, gradient: [Float]) {
        let n = targets.count
        guard n >= 1, k >= 1, x.count == n * k, w.count == k else {
            throw ComputeError("cross-entropy: logits (\(x.count) values), \(n) targets and \(w.count) class weights do not fit [\(n), \(k)]")
        }
        if let bad = targets.first(where: { !(0..<k).contains($0) }) {
            throw ComputeError("cross-entropy: target \(bad) is not a class of 0..<\(k)")
        }
        let p = softmaxRows(x, n, k)
        let total = targets.reduce(0.0) { $0 + Double(w[$1]) }
        guard total > 0 else { throw ComputeError("cross-entropy: the targets' class weights sum to \(total)") }
        var loss: Double = 0
        var g = [Float](repeating: 0, count: n * k)
        for (i, t) in targets.enumerated() {
            let weight = Double(w[t]) / total
            loss -= weight * log(max(p[i * k + t], .leastNormalMagnitude))
            for c in 0..<k { g[i * k + c] = Float(weight * (p[i * k + c] - (c == t ? 1 : 0))) }
        }
        return (Float(loss), g)
    }

    public static func softmaxRows(_ x: [Float], _ n: Int, _ k: Int) -> [Double] {
        var out = [Double](repeating: 0, count: n * k)
        for i in 0..<n {
            var peak = -Double.infinity
            for c in 0..<k { peak = max(peak, Double(x[i * k + c])) }
            var sum: Double = 0
            for c in 0..<k {
                let e = exp(Double(x[i * k + c]) - peak)
                out[i * k + c] = e
                sum += e
            }
            for c in 0..<k { out[i * k + c] /= sum }
        }
        return out
    }

    /// The gradient with respect to the logits from the gradient `dp` with respect to softmax outputs `p`.
    static func softmaxBackward(_ p: [Double], _ dp: [Double], _ n: Int, _ k: Int) -> [Float] {
        var out = [Float](repeating: 0, count: n * k)
        for i in 0..<n {
            var dot: Double = 0
            for c in 0..<k { dot += p[i * k + c] * dp[i * k + c] }
            for c in 0..<k { out[i * k + c] = Float(p[i * k + c] * (dp[i * k + c] - dot)) }
        }
        return out
    }
}
