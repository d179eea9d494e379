import Foundation

/// The exponential moving average that keeps a target network behind an online one (BYOL's target, the
/// momentum encoders of MoCo and DINO), with BYOL's momentum schedule.
public enum MovingAverage {
    /// `target ← m · target + (1 − m) · online`, parameter by parameter, as PyTorch's
    /// `t.mul_(m).add_(o, alpha=1 - m)`. The lists pair up by position and must have the same shapes.
    public static func update(target: [Parameter], online: [Parameter], momentum m: Float) throws {
        guard target.count == online.count else {
            throw ComputeError("moving average: the target has \(target.count) parameters, the online network \(online.count)")
        }
        guard m >= 0, m <= 1 else { throw ComputeError("moving average: the momentum must be in [0, 1] (got \(m))") }
        for (t, o) in zip(target, online) {
            guard t.shape == o.shape else {
                throw ComputeError("moving average: target \(t.subject) and online \(o.subject) differ in shape")
            }
            var values = t.value.toArray()
            let source = o.value.toArray()
            for i in values.indices { values[i] = m * values[i] + (1 - m) * source[i] }
            try t.assign(Tensor(shape: t.shape, values: values))
        }
    }

    /// BYOL's schedule: from `base` at step 0 up to 1 at the last step, `1 − (1 − base)(cos(π k / K) + 1) / 2`.
    public static func momentum(base: Float, step k: Int, totalSteps K: Int) -> Float {
        guard K > 0 else { return base }
        let progress = Double(min(max(k, 0), K)) / Double(K)
        return Float(1 - (1 - Double(base)) * (cos(Double.pi * progress) + 1) / 2)
    }
}
