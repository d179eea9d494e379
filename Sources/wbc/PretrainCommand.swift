import ArgumentParser
import Compute
import Models
import Workflows

struct Pretrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stage 1: train the denoising autoencoder (ResNet encoder + reference decoder).",
        discussion: "Rerunning the same command after an interruption continues from the last completed epoch.")

    @OptionGroup var options: RunOptions
    @Option(help: "Training images (ImageFolder root, flat folder or labels.csv).") var data: String?
    @Option(help: "Autoencoder: conv-ae | vae.") var model: String?
    @Option(help: "Pretraining epochs.") var epochs: Int?
    @Option(help: "Batch size.") var batch: Int?
    @Option(help: "Learning rate (Adam).") var lr: Float?
    @Option(help: "Images per epoch (a seeded sample).") var samples: Int?
    @Option(help: "ImageNet weights for the encoder (.pth or .safetensors).") var weights: String?

    func validate() throws {
        if let model, AutoencoderKind(rawValue: model) == nil { throw ValidationError("--model must be conv-ae or vae (got '\(model)')") }
        if let epochs, epochs < 0 { throw ValidationError("--epochs must not be negative") }
        if let batch, batch < 2 { throw ValidationError("--batch must be at least 2") }
    }

    func run() throws {
        try runReportingErrors {
            var (dir, s) = try options.settings()
            if let data { s.data = data }
            if let model { s.model = AutoencoderKind(rawValue: model)! }
            if let epochs { s.pretrainEpochs = epochs }
            if let batch { s.pretrainBatch = batch }
            if let lr { s.pretrainLearningRate = lr }
            if let samples { s.pretrainSamples = samples }
            if let weights { s.weights = weights; if options.normalize == nil { s.normalization = .imagenet } }
            guard s.data != nil else { throw ValidationError("--data is required (no saved run settings to take it from)") }
            let (settings, train) = try Pipeline.prepare(s, run: dir, needsK: false, progress: options.progress)
            let r = try Pretraining.run(settings: settings, run: dir, train: train, progress: options.progress)
            print(String(format: "pretrain: best loss %.5f, last %.5f; checkpoints in %@", r.bestLoss, r.lastLoss, dir.checkpoints.path))
        }
    }
}
