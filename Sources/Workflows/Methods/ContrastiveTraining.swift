import Compute
import Determinism
import Foundation
import Imaging
import Parallelism

/// An objective that learns from augmented views of each cell (SimCLR, BYOL): AdamW (decoupled weight decay
/// `pretrainWeightDecay`) with a linear warm-up over the first 5 % of the steps, then a half cosine down to 0.
public protocol SelfSupervisedObjective: PretrainingObjective {}

extension SelfSupervisedObjective {
    public func makeOptimizer(_ parameters: [Parameter], settings: RunSettings) -> any Optimizer {
        Adam.adamW(parameters, lr: settings.pretrainLearningRate, weightDecay: settings.pretrainWeightDecay)
    }

    public func learningRate(_ settings: RunSettings, step: Int, totalSteps: Int) -> Float {
        ContrastiveTraining.warmupCosine(base: settings.pretrainLearningRate, step: step, totalSteps: totalSteps)
    }

    public var schedulesOverTheRun: Bool { true }
}

/// What the self-supervised objectives (SimCLR, BYOL) share: the augmented views of a batch, and the
/// learning-rate schedule.
enum ContrastiveTraining {
    /// `copies` augmented views of every image of `batch` (`[N, 3, S, S]`, normalised): rows `0..<N` the first
    /// views, `N..<2N` the second, and so on. Made on the thread pool, each from its own seeded stream (so the
    /// result does not depend on the thread count).
    static func views(of batch: Tensor, augmentation: ContrastiveAugmentation, context: StepContext, copies: Int = 2) throws -> Tensor {
        let (n, side) = (batch.shape[0], batch.shape[2])
        let plane = 3 * side * side
        let pixels = batch.toArray()
        var out = [Float](repeating: 0, count: copies * n * plane)
        let stream = UInt64(context.epoch) << 32 | UInt64(context.step)
        let failures = out.withUnsafeMutableBufferPointer { buffer -> Int in
            let base = buffer.baseAddress!
            var failed = [Bool](repeating: false, count: copies * n)
            failed.withUnsafeMutableBufferPointer { flags in
                ThreadPool.forEach(tasks: copies * n, threads: OpenMP.threads) { task in
                    let image = task % n
                    var chw = Array(pixels[(image * plane)..<((image + 1) * plane)])
                    do { try context.normalization.invert(&chw) } catch {
                        flags[task] = true
                        return
                    }
                    var rng = SeededGenerator.derived(seed: context.seed ^ 0x51C1_A0, stream: stream &* 4096 &+ UInt64(task))
                    var view = augmentation.apply(chw, side: side, rng: &rng)
                    do { try context.normalization.apply(to: &view) } catch {
                        flags[task] = true
                        return
                    }
                    for i in 0..<plane { base[task * plane + i] = view[i] }
                }
            }
            return failed.filter { $0 }.count
        }
        guard failures == 0 else { throw ComputeError("contrastive views: the normalisation does not fit \(side)² images") }
        return try Tensor(shape: [copies * n, 3, side, side], values: out)
    }

    /// A linear warm-up over the first 5 % of the steps, then a half cosine from `base` down to 0.
    static func warmupCosine(base: Float, step: Int, totalSteps: Int) -> Float {
        guard totalSteps > 1 else { return base }
        let warmup = max(1, totalSteps / 20)
        if step < warmup { return base * Float(step + 1) / Float(warmup) }
        let progress = Double(step - warmup) / Double(max(1, totalSteps - warmup))
        return base * Float(0.5 * (1 + cos(Double.pi * min(1, progress))))
    }
}
