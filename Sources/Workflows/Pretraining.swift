import Compute
import Foundation
import Imaging
import Models

/// Outcome of the pretraining stage.
public struct PretrainResult: Sendable {
    public var epochsRun: Int
    public var bestLoss: Double
    public var lastLoss: Double
    public var resumedFrom: Int
}

/// Stage 1: the denoising autoencoder. Input plus N(0, σ²) noise, target the clean image, MSE; Adam
/// (lr 1e-3, weight decay 1e-5); the lowest-loss epoch is kept as `autoencoder.safetensors`, the last one
/// (with optimizer state) as `autoencoder-last.safetensors` for resumption.
public enum Pretraining {
    public static func run(settings: RunSettings, run: RunDirectory, train: DataSource,
                           progress: any ProgressSink) throws -> PretrainResult {
        let t0 = monotonicSeconds()
        let resuming = FileManager.default.fileExists(atPath: run.autoencoderLast.path)
        let (normalization, ae) = try prepareModel(settings: settings, train: train, loadWeights: !resuming, progress: progress)
        let optimizer = Adam(ae.parameters, lr: settings.pretrainLearningRate, weightDecay: settings.pretrainWeightDecay)

        var start = 0
        var best = Double.infinity
        var last = Double.nan
        if resuming {
            let c = try Checkpoint.read(run.autoencoderLast, kind: .autoencoder)
            guard c.spec == ae.spec else {
                throw WorkflowError("\(run.root.path) holds an autoencoder of another architecture (\(c.metadata["wbc.spec"] ?? "?")); use a new --run directory or the same settings")
            }
            guard try c.settings(file: run.autoencoderLast.path).pretrainingFingerprint == settings.pretrainingFingerprint else {
                throw WorkflowError("\(run.autoencoderLast.path) was trained with other pretraining settings (data, size, crop, normalisation, learning rate, batch, noise, samples, augmentation or seed); resuming with different ones would not reproduce the run. Use the same settings (only --epochs may change) or a new --run directory")
            }
            try c.modelState.load(into: ae, source: run.autoencoderLast.path)
            try c.restoreOptimizer(optimizer)
            start = c.epoch
            best = Double(c.metadata["wbc.best_loss"] ?? "") ?? .infinity
            last = Double(c.metadata["wbc.last_loss"] ?? "") ?? .nan
            if start > 0 && start < settings.pretrainEpochs { progress.line("pretrain: resuming after epoch \(start)") }
            if start >= settings.pretrainEpochs && settings.pretrainEpochs > 0 { progress.line("pretrain: already trained \(start) epochs") }
        }
        // Accepted: record the settings before the first epoch, so an interrupted run resumes with them. Where a
        // clustering checkpoint exists, that stage records them once it accepts them too (`Pipeline.prepare`).
        if !FileManager.default.fileExists(atPath: run.decLast.path) && !FileManager.default.fileExists(atPath: run.decBest.path) {
            try run.saveConfig(settings)
        }
        let augmentation: AugmentationOptions? = settings.augment ? AugmentationOptions() : nil
        let loader = train.loader(normalization: normalization, batch: settings.pretrainBatch, augmentation: augmentation)
        let perEpoch = min(settings.pretrainSamples ?? Int.max, train.usableCount)
        ae.setTraining(true)
        for epoch in start..<max(start, settings.pretrainEpochs) {
            let e0 = monotonicSeconds()
            var batches = loader.batches(epoch: epoch, shuffle: true, seed: settings.seed)
            var seen = 0, step = 0
            var sum = 0.0
            while seen < perEpoch, let batch = try nextBatch(&batches, train) {
                guard batch.count >= 2 else { continue }  // batch norm needs two images (failed decodes shrink a batch)
                let clean = try batch.tensor()
                var noisyValues = batch.data
                var rng = SeededGenerator.derived(seed: settings.seed ^ 0x5EED_0015E, stream: UInt64(epoch) << 32 | UInt64(step))
                Augmentation.addNoise(to: &noisyValues, sigma: settings.noiseSigma, rng: &rng)
                let noisy = try Tensor(shape: clean.shape, values: noisyValues)
                ae.zeroGrad()
                let loss: ReconstructionLoss
                var sampling = SeededGenerator.derived(seed: settings.seed ^ 0x0DAE_5A3B, stream: UInt64(epoch) << 32 | UInt64(step))
                let sampleSeed = sampling.next()
                do { loss = try ae.reconstructionStep(noisy: noisy, clean: clean, samplingSeed: sampleSeed) } catch {
                    throw WorkflowError("pretrain epoch \(epoch + 1), step \(step + 1): \(error). The last good checkpoint (\(run.autoencoderLast.lastPathComponent), epoch \(epoch)) is kept.")
                }
                try optimizer.step()
                sum += Double(loss.total) * Double(batch.count)
                seen += batch.count
                step += 1
                progress.progress("pretrain \(epoch + 1)/\(settings.pretrainEpochs)", done: min(seen, perEpoch), total: perEpoch,
                                  detail: String(format: "loss %.4f", sum / Double(seen)))
            }
            guard seen > 0 else { throw WorkflowError("pretrain: no usable batch in epoch \(epoch + 1) (need at least 2 readable images)") }
            last = sum / Double(seen)
            let improved = last < best
            if improved { best = last }
            let seconds = monotonicSeconds() - e0
            try run.appendLog(.init(stage: "pretrain", epoch: epoch + 1, step: step, loss: last, seconds: seconds))
            var c = checkpoint(ae, normalization: normalization, settings: settings, epoch: epoch + 1)
            c.metadata["wbc.best_loss"] = String(best)
            c.metadata["wbc.last_loss"] = String(last)
            if improved { try c.write(to: run.autoencoderBest) }
            c.storeOptimizer(optimizer)
            try c.write(to: run.autoencoderLast)
            progress.line(String(format: "pretrain epoch %d/%d  loss %.5f%@  %.1f s (%.1f images/s)", epoch + 1, settings.pretrainEpochs,
                                 last, improved ? " (best)" : "", seconds, Double(seen) / seconds))
        }
        if !FileManager.default.fileExists(atPath: run.autoencoderBest.path) {
            // No training asked for: keep the initial (or imported) weights as the "best" checkpoint.
            try checkpoint(ae, normalization: normalization, settings: settings, epoch: 0).write(to: run.autoencoderBest)
        }
        try run.recordStage("pretrain", seconds: monotonicSeconds() - t0)
        return PretrainResult(epochsRun: max(0, settings.pretrainEpochs - start), bestLoss: best, lastLoss: last, resumedFrom: start)
    }

    static func nextBatch(_ epoch: inout ImageLoader.Epoch, _ source: DataSource) throws -> ImageBatch? {
        do { return try epoch.next() } catch { throw WorkflowError("\(source.name): \(error)") }
    }

    static func checkpoint(_ ae: Autoencoder, normalization: Normalization, settings: RunSettings, epoch: Int) -> Checkpoint {
        var c = Checkpoint(kind: .autoencoder)
        c.state = StateDict(of: ae)
        c.spec = ae.spec
        c.epoch = epoch
        c.storeNormalization(normalization, choice: settings.normalization)
        c.encode(settings, "wbc.settings")
        return c
    }

    /// The autoencoder, with encoder weights imported when `--weights` is given, and the normalisation.
    static func prepareModel(settings: RunSettings, train: DataSource, loadWeights: Bool,
                             progress: any ProgressSink) throws -> (Normalization, Autoencoder) {
        let normalization: Normalization
        switch settings.normalization {
        case .half: normalization = .half
        case .imagenet: normalization = .imagenet
        case .dataset: normalization = try train.datasetStatistics()
        }
        let ae = Autoencoder(settings.autoencoderSpec, seed: settings.seed)
        if let weights = settings.weights, loadWeights {
            let report = try WeightsLoader.loadEncoder(weights, into: ae.encoder, arch: settings.backbone)
            progress.line("weights: loaded \(report) from \(weights)")
            if settings.normalization != .imagenet {
                progress.line("warning: ImageNet weights expect --normalize imagenet; using \(settings.normalization.rawValue) as asked")
            } else {
                progress.line("note: the decoder ends in Tanh, so ImageNet-normalised targets outside [-1, 1] cannot be reconstructed exactly")
            }
        }
        return (normalization, ae)
    }
}

/// Loads torchvision/timm ResNet weights (.pth or .safetensors) into an encoder without its `fc` head.
public enum WeightsLoader {
    public static func loadEncoder(_ path: String, into encoder: ResNet, arch: ResNetDepth) throws -> String {
        let url = URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw WorkflowError("--weights \(path): no such file. Fetch torchvision's file with `wbc weights download`, or import one with `wbc weights import`.")
        }
        guard let a = ResNetArch(rawValue: arch.rawValue) else { throw WorkflowError("--weights: unsupported backbone \(arch.rawValue)") }
        let report: ImportReport
        do { report = try WeightImport.importResNet(from: url, arch: a, partial: false) } catch let error as WeightImportError {
            // These commands choose the depth with --backbone and have no partial import.
            throw WorkflowError("--weights: " + error.message(archFlag: "--backbone", partialFlag: nil))
        } catch {
            throw WorkflowError("--weights \(path): \(error)")
        }
        var sd = StateDict()
        for t in report.tensors where !t.name.hasPrefix("fc.") { sd.floats[t.name] = t.tensor }
        for t in report.integerTensors { sd.integers[t.name] = t.tensor }
        let loaded = try sd.load(into: encoder, partial: false, source: path)
        return "\(loaded.loaded.count) tensors"
    }
}
