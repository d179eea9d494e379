import ArgumentParser
import Imaging
import Models
import Workflows

/// Flags shared by the stage commands (`pretrain`, `cluster`). Each overrides the preset (or the run's saved
/// config.json) only when given.
struct RunOptions: ParsableArguments {
    @Option(help: "Run directory (checkpoints, logs, metrics, report).") var run: String
    @Option(help: "Settings preset (default: the run's saved settings, else fast).") var preset: Preset?
    @Option(help: "Image side in pixels (fast: \(PresetValues.fast.size)).") var size: Int?
    @Option(help: "Crop before resizing (fast: \(PresetValues.fast.crop.rawValue)).") var crop: CropMode?
    @Option(help: "Normalisation (default half; imagenet with --weights).") var normalize: NormalizationChoice?
    @Option(help: "Encoder (fast: \(PresetValues.fast.backbone.rawValue)).") var backbone: BackboneID?
    @Option(help: "Seed for every random draw (default 0).") var seed: UInt64?
    @Option(help: "oneDNN threads (default 0 = all cores).") var threads: Int?
    @Flag(help: "Make any unreadable image fatal.") var strict = false
    @Option(help: "Refuse images above this many megapixels (default \(PresetValues.base.maxMegapixels)).") var maxMegapixels: Double?
    @Flag(help: "No progress bars or epoch lines.") var quiet = false

    func validate() throws {
        if let size, size < 32 { throw ValidationError("--size must be at least 32 (got \(size))") }
        try validateThreads(threads)
        try validateMegapixels(maxMegapixels)
    }

    /// The overrides these flags give.
    var overrides: SettingsOverrides {
        var o = SettingsOverrides()
        o.preset = preset
        o.size = size
        o.crop = crop
        o.normalization = normalize
        o.backbone = backbone
        o.seed = seed
        o.threads = threads
        if strict { o.strict = true }
        o.maxMegapixels = maxMegapixels
        return o
    }

    var progress: any ProgressSink { progressSink(quiet: quiet) }
}
