import ArgumentParser
import Foundation
import Models
import Workflows

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The whole method: pretrain → cluster → evaluate → report.",
        discussion: """
        With no --data, generates a synthetic 4-class blood-smear set in RUN/synthetic and runs on it.
        Rerunning the same command after an interruption continues where it stopped.
        """)

    @Option(name: .customLong("run"), help: "Run directory.") var runPath: String = "runs/synthetic"
    @Option(help: "Training images (ImageFolder root, flat folder or labels.csv).") var data: String?
    @Option(help: "Test images, evaluated with the trained model.") var test: String?
    @Option(help: "seed | fast | tiny (default: fast; tiny for synthetic data).") var preset: String?
    @Option(help: "Pretraining epochs (overrides the preset).") var pretrainEpochs: Int?
    @Option(help: "Clustering epochs (overrides the preset).") var clusterEpochs: Int?
    @Option(help: "Images per class of the synthetic set (without --data).") var perClass: Int = 64
    @Option(help: "ImageNet weights for the encoder (.pth or .safetensors).") var weights: String?
    @Option(help: "Features: pooled | flat.") var features: String?
    @Option(help: "Average the features over 1, 2, 4 or 8 flips/rotations of each image (orientation-invariant).") var views: Int?
    @Option(help: "Image side in pixels.") var size: Int?
    @Option(help: "Number of clusters.") var k: Int?
    @Option(help: "Nucleus crop side as a multiple of the nucleus's extent (default 2.2).") var cropScale: Double?
    @Option(help: "Seed.") var seed: UInt64 = 0
    @Option(help: "oneDNN threads (0 = all cores).") var threads: Int = 0
    @Option(help: "Write a t-SNE snapshot every N clustering epochs (0 = none).") var plotEvery: Int = 0
    @Flag(help: "No progress bars or epoch lines.") var quiet = false

    func validate() throws {
        try validateThreads(threads)
        if let preset, Preset(rawValue: preset) == nil { throw ValidationError("--preset must be seed, fast or tiny (got '\(preset)')") }
        if perClass < 4 { throw ValidationError("--per-class must be at least 4") }
        if let features, FeatureMode(rawValue: features) == nil { throw ValidationError("--features must be pooled or flat (got '\(features)')") }
        if let pretrainEpochs, pretrainEpochs < 0 { throw ValidationError("--pretrain-epochs must not be negative") }
        if let clusterEpochs, clusterEpochs < 0 { throw ValidationError("--cluster-epochs must not be negative") }
    }

    func run() throws {
        try runReportingErrors {
            let dir = try RunDirectory(runPath)
            let progress: any ProgressSink = quiet ? SilentProgress() : TerminalProgress()
            let synthetic = data == nil
            var s = (preset.flatMap(Preset.init(rawValue:)) ?? (synthetic ? .tiny : .fast)).settings
            s.seed = seed
            s.threads = threads
            s.plotEvery = plotEvery
            if let pretrainEpochs { s.pretrainEpochs = pretrainEpochs }
            if let clusterEpochs { s.clusterEpochs = clusterEpochs }
            if let weights { s.weights = weights; s.normalization = .imagenet }
            if let features { s.features = FeatureMode(rawValue: features)! }
            if let size { s.size = size }
            if let views { s.views = views }
            if let k { s.k = k }
            if let cropScale { s.cropScale = cropScale }
            if synthetic {
                let (train, test) = try Pipeline.synthesize(run: dir, perClass: perClass, seed: seed, progress: progress)
                s.data = train
                s.test = test
            } else {
                s.data = data
                s.test = test
            }
            let outcome = try Pipeline.run(settings: s, run: dir, progress: progress, report: ReportWriter.write)
            print(String(format: "run finished in %.1f s; results in %@ (report: %@)", outcome.seconds, dir.root.path, dir.report.path))
        }
    }
}
