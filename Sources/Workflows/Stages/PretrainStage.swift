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

/// Stage 1: pretraining with the objective the settings name (`PretrainingObjective`); Adam (lr
/// `pretrainLearningRate`, weight decay `pretrainWeightDecay`). The lowest-loss epoch (the last, for an objective
/// whose loss does not compare epochs) is kept as
/// `autoencoder.safetensors`, the last one (with optimizer state) as `autoencoder-last.safetensors` for resumption.
public enum PretrainStage {
    public static func run(
        settings: RunSettings, run: RunDirectory, train: DataSource, events: TrainingEvents,
        progress: any ProgressSink
    ) throws -> PretrainResult {
        let t0 = monotonicSeconds()
        let resuming = FileManager.default.fileExists(atPath: run.autoencoderLast.path)
        let (normalization, model, objective) = try prepareModel(settings: settings, train: train, loadWeights: !resuming, events: events)
        let optimizer = objective.makeOptimizer(model.parameters, settings: settings)
        if settings.weights != nil && settings.pretrainedLearningRateScale != 1 {
            try optimizer.setLearningRateScale(settings.pretrainedLearningRateScale, for: model.encoder.parameters)
        }

        var (start, best, last) = (0, Double.infinity, Double.nan)
        if resuming { (start, best, last) = try resume(model, optimizer, objective: objective, settings: settings, run: run, events: events) }
        // Accepted: record the settings before the first epoch, so an interrupted run resumes with them. Where a
        // clustering checkpoint exists, that stage records them once it accepts them too.
        if !FileManager.default.fileExists(atPath: run.decLast.path) && !FileManager.default.fileExists(atPath: run.decBest.path) {
            try run.configFile.save(settings)
        }
        let augmentation: AugmentationOptions? = settings.augment ? AugmentationOptions() : nil
        let loader = train.loader(normalization: normalization, batch: settings.pretrainBatch, augmentation: augmentation)
        let perEpoch = min(settings.pretrainSamples ?? Int.max, train.usableCount)
        let stepsPerEpoch = (perEpoch + settings.pretrainBatch - 1) / settings.pretrainBatch
        model.setTraining(true)
        for epoch in start..<max(start, settings.pretrainEpochs) {
            let e0 = monotonicSeconds()
            var batches = loader.batches(epoch: epoch, shuffle: true, seed: settings.seed)
            var seen = 0
            var step = 0
            var sum = 0.0
            while seen < perEpoch, let batch = try train.next(&batches) {
                guard batch.count >= 2 else { continue }  // batch norm needs two images (failed decodes shrink a batch)
                model.zeroGrad()
                let loss: Float
                do {
                    let context = StepContext(
                        normalization: normalization, seed: settings.seed, epoch: epoch, step: step, settings: settings,
                        globalStep: epoch * stepsPerEpoch + step, totalSteps: settings.pretrainEpochs * stepsPerEpoch)
                    loss = try model.trainingStep(batch.tensor(), context: context)
                } catch {
                    throw WorkflowError(
                        "pretrain epoch \(epoch + 1), step \(step + 1): \(error). The last good checkpoint (\(run.autoencoderLast.lastPathComponent), epoch \(epoch)) is kept."
                    )
                }
                optimizer.learningRate = objective.learningRate(
                    settings, step: epoch * stepsPerEpoch + step, totalSteps: settings.pretrainEpochs * stepsPerEpoch)
                try optimizer.step()
                sum += Double(loss) * Double(batch.count)
                seen += batch.count
                step += 1
                progress.progress(
                    "pretrain \(epoch + 1)/\(settings.pretrainEpochs)", done: min(seen, perEpoch), total: perEpoch,
                    detail: String(format: "loss %.4f", sum / Double(seen)))
            }
            guard seen > 0 else { throw WorkflowError("pretrain: no usable batch in epoch \(epoch + 1) (need at least 2 readable images)") }
            last = sum / Double(seen)
            let improved = last < best
            if improved { best = last }
            let kept = improved || !objective.lossComparesEpochs
            // The log row first: an interruption before the checkpoint repeats the epoch and rewrites it.
            try events.emit(
                .epoch(
                    EpochRecord(
                        stage: "pretrain", epoch: epoch + 1, epochs: settings.pretrainEpochs, step: step, loss: last,
                        lossName: objective.lossName, seconds: monotonicSeconds() - e0, images: seen, notes: improved ? ["(best)"] : [])))
            var c = checkpoint(model, normalization: normalization, settings: settings, epoch: epoch + 1)
            c.metadata["wbc.best_loss"] = String(best)
            c.metadata["wbc.last_loss"] = String(last)
            if kept { try c.write(to: run.autoencoderBest) }
            c.storeOptimizer(optimizer)
            try c.write(to: run.autoencoderLast)
        }
        if !FileManager.default.fileExists(atPath: run.autoencoderBest.path) {
            // No training asked for: keep the initial (or imported) weights as the "best" checkpoint.
            try checkpoint(model, normalization: normalization, settings: settings, epoch: 0).write(to: run.autoencoderBest)
        }
        try run.stageTimesFile.record("pretrain", seconds: monotonicSeconds() - t0, resumes: true, didWork: start < settings.pretrainEpochs)
        return PretrainResult(epochsRun: max(0, settings.pretrainEpochs - start), bestLoss: best, lastLoss: last, resumedFrom: start)
    }

    /// Loads `autoencoder-last.safetensors` into `model` and `optimizer` when it was made with the same
    /// architecture and pretraining settings: the epoch to continue after, the best and the last loss.
    static func resume(
        _ model: any PretrainingModel, _ optimizer: any Optimizer, objective: any PretrainingObjective, settings: RunSettings,
        run: RunDirectory, events: TrainingEvents
    ) throws -> (start: Int, best: Double, last: Double) {
        let c = try Checkpoint.read(run.autoencoderLast, kind: .autoencoder)
        guard c.spec == model.spec else {
            throw WorkflowError(
                "\(run.root.path) holds a pretrained model of another architecture (\(c.metadata["wbc.spec"] ?? "?")); use a new \(setting: .run) directory or the same settings"
            )
        }
        guard try c.settings(file: run.autoencoderLast.path).pretrainingFingerprint == settings.pretrainingFingerprint else {
            throw WorkflowError(
                "\(run.autoencoderLast.path) was trained with other pretraining settings (data, size, crop, normalisation, learning rate, batch, noise, samples, augmentation or seed); resuming with different ones would not reproduce the run. Use the same settings (only \(setting: .pretrainEpochs) may change) or a new \(setting: .run) directory"
            )
        }
        try c.modelState.load(into: model, source: run.autoencoderLast.path)
        try c.restoreOptimizer(optimizer)
        let start = c.epoch
        if start > 0 && start < settings.pretrainEpochs { try events.note("pretrain: resuming after epoch \(start)") }
        let planned = try c.settings(file: run.autoencoderLast.path).pretrainEpochs
        if objective.schedulesOverTheRun && start < settings.pretrainEpochs && planned != settings.pretrainEpochs {
            try events.note(
                "pretrain: \(objective.name)'s schedules now span \(settings.pretrainEpochs) epochs instead of the \(planned) the run began with, so the result will differ from an uninterrupted \(settings.pretrainEpochs)-epoch run"
            )
        }
        if start >= settings.pretrainEpochs && settings.pretrainEpochs > 0 { try events.note("pretrain: already trained \(start) epochs") }
        return (start, Double(c.metadata["wbc.best_loss"] ?? "") ?? .infinity, Double(c.metadata["wbc.last_loss"] ?? "") ?? .nan)
    }

    static func checkpoint(_ model: any PretrainingModel, normalization: Normalization, settings: RunSettings, epoch: Int) -> Checkpoint {
        var c = Checkpoint(kind: .autoencoder)
        c.state = StateDict(of: model)
        c.spec = model.spec
        c.epoch = epoch
        c.storeNormalization(normalization, choice: settings.normalization)
        c.metadata["wbc.objective"] = settings.objective
        c.encode(settings, "wbc.settings")
        return c
    }

    /// The objective's model, with backbone weights imported when `weights` is set, and the normalisation.
    static func prepareModel(
        settings: RunSettings, train: DataSource, loadWeights: Bool,
        events: TrainingEvents
    ) throws -> (Normalization, any PretrainingModel, any PretrainingObjective) {
        guard let objective = PretrainingObjectives.named(settings.objective) else {
            throw WorkflowError("\(setting: .objective) '\(settings.objective)' is not one of \(PretrainingObjectives.names.joined(separator: ", "))")
        }
        let normalization = try settings.normalization.normalization { try train.datasetStatistics() }!
        let spec = objective.spec(for: settings)
        guard spec.backbone.architecture != nil else {
            throw WorkflowError("\(setting: .backbone) '\(spec.backbone)' is not one of \(Backbones.names.joined(separator: ", "))")
        }
        let model = objective.makeModel(spec, seed: settings.seed)
        if let weights = settings.weights, loadWeights {
            let report = try PretrainedWeightsLoader.load(weights, into: model.encoder)
            try events.note("weights: loaded \(report) from \(weights)")
            if settings.normalization != .imagenet {
                try events.note("warning: ImageNet weights expect ImageNet normalisation (\(settings.normalization.rawValue) is used, as asked)")
            } else if objective.reconstructsThroughTanh {
                try events.note("note: the decoder ends in Tanh, so ImageNet-normalised targets outside [-1, 1] cannot be reconstructed exactly")
            }
        }
        return (normalization, model, objective)
    }
}
