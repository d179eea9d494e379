#if canImport(Glibc)
    import Glibc
#endif

/// A scalar loss value and its gradient with respect to the prediction.
public struct LossResult: Sendable {
    public let value: Float
    public let gradient: Tensor
}

/// How a loss reduces over elements (PyTorch `reduction=`).
public enum Reduction: String, Sendable, Codable {
    case sum, mean, batchmean
}

/// Loss functions with PyTorch semantics. Each returns the loss and the gradient of the loss with respect
/// to its first argument, and throws if the loss is NaN or infinite (naming the loss).
public enum Loss {
    /// `F.mse_loss(prediction, target)` with mean reduction.
    public static func mse(_ prediction: Tensor, _ target: Tensor) throws -> LossResult {
        guard prediction.shape == target.shape else {
            throw ComputeError("mse_loss: prediction shape \(prediction.shape) differs from target shape \(target.shape)")
        }
        let n = prediction.count
        let grad = Tensor.zeros(prediction.shape)
        var total: Double = 0
        prediction.withValues { p in
            target.withValues { t in
                grad.withMutableValues { g in
                    let scale = 2 / Float(n)
                    for i in 0..<n {
                        let d = p[i] - t[i]
                        total += Double(d * d)
                        g[i] = scale * d
                    }
                }
            }
        }
        return try finite("mse_loss", Float(total / Double(n)), grad)
    }

    /// `F.kl_div(logInput, target, reduction:)`: Σ target·(log target − logInput), with 0·log 0 = 0.
    /// The gradient is with respect to `logInput`. `batchmean` divides by the first dimension.
    public static func klDivergence(logInput: Tensor, target: Tensor, reduction: Reduction = .batchmean) throws -> LossResult {
        guard logInput.shape == target.shape else {
            throw ComputeError("kl_div: input shape \(logInput.shape) differs from target shape \(target.shape)")
        }
        let n = logInput.count
        let divisor: Float
        switch reduction {
        case .sum: divisor = 1
        case .mean: divisor = Float(n)
        case .batchmean: divisor = Float(logInput.shape.first ?? 1)
        }
        let grad = Tensor.zeros(logInput.shape)
        var total: Double = 0
        logInput.withValues { q in
            target.withValues { p in
                grad.withMutableValues { g in
                    for i in 0..<n {
                        let pi = p[i]
                        if pi > 0 { total += Double(pi * (logf(pi) - q[i])) }
                        g[i] = -pi / divisor
                    }
                }
            }
        }
        return try finite("kl_div", Float(total) / divisor, grad)
    }

    /// `F.cross_entropy(logits, labels)` with mean reduction; logits `[N, C]`, labels in `0..<C`.
    public static func crossEntropy(logits: Tensor, labels: [Int]) throws -> LossResult {
        guard logits.shape.count == 2, logits.shape[0] == labels.count else {
            throw ComputeError("cross_entropy: logits \(logits.shape) do not match \(labels.count) labels")
        }
        let (n, c) = (logits.shape[0], logits.shape[1])
        if let bad = labels.first(where: { $0 < 0 || $0 >= c }) {
            throw ComputeError("cross_entropy: label \(bad) is outside 0..<\(c)")
        }
        let logp = try Functional.logSoftmax(logits)
        let grad = Tensor.zeros(logits.shape)
        var total: Double = 0
        logp.withValues { lp in
            grad.withMutableValues { g in
                for r in 0..<n {
                    total -= Double(lp[r * c + labels[r]])
                    for j in 0..<c { g[r * c + j] = expf(lp[r * c + j]) / Float(n) }
                    g[r * c + labels[r]] -= 1 / Float(n)
                }
            }
        }
        return try finite("cross_entropy", Float(total / Double(n)), grad)
    }

    static func finite(_ name: String, _ value: Float, _ grad: Tensor) throws -> LossResult {
        guard value.isFinite else {
            throw ComputeError(
                "\(name) is \(value) (not finite): the inputs contain NaN/Inf or the training diverged; lower the learning rate or check the data")
        }
        return LossResult(value: value, gradient: grad)
    }
}
