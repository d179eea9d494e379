import ArgumentParser
import Foundation
import Imaging
import Models
import Workflows

/// Checks a `--threads` value: 0 means all cores; negative values are refused.
func validateThreads(_ threads: Int?) throws {
    if let threads, threads < 0 { throw ValidationError("--threads must be 0 (all cores) or positive (got \(threads))") }
}

/// Flags shared by the run commands. Each overrides the preset (or the run's saved config.json) only when given.
struct RunOptions: ParsableArguments {
    @Option(help: "Run directory (checkpoints, logs, metrics, report).") var run: String
    @Option(help: "Settings preset: seed | fast | tiny (default: the run's saved settings, else fast; tiny for synthetic data).")
    var preset: String?
    @Option(help: "Image side in pixels.") var size: Int?
    @Option(help: "Crop before resizing: none | nucleus | centre.") var crop: String?
    @Option(help: "Normalisation: half | imagenet | dataset.") var normalize: String?
    @Option(help: "Encoder: resnet18 | resnet34 | resnet50.") var backbone: String?
    @Option(help: "Seed for every random draw.") var seed: UInt64?
    @Option(help: "oneDNN threads (0 = all cores).") var threads: Int?
    @Flag(help: "Make any unreadable image fatal.") var strict = false
    @Flag(help: "No progress bars or epoch lines.") var quiet = false

    func validate() throws {
        if let preset, Preset(rawValue: preset) == nil { throw ValidationError("--preset must be seed, fast or tiny (got '\(preset)')") }
        if let crop, CropMode(rawValue: crop) == nil { throw ValidationError("--crop must be none, nucleus or centre (got '\(crop)')") }
        if let normalize, NormalizationChoice(rawValue: normalize) == nil {
            throw ValidationError("--normalize must be half, imagenet or dataset (got '\(normalize)')")
        }
        if let backbone, ResNetDepth(rawValue: backbone) == nil {
            throw ValidationError("--backbone must be resnet18, resnet34 or resnet50 (got '\(backbone)')")
        }
        if let size, size < 32 { throw ValidationError("--size must be at least 32") }
        try validateThreads(threads)
    }

    /// Settings: the run's saved config, else the preset; then the flags given here.
    func settings(defaultPreset: Preset = .fast) throws -> (RunDirectory, RunSettings) {
        let dir = try RunDirectory(run)
        var s: RunSettings
        if let preset { s = Preset(rawValue: preset)!.settings }
        else if let saved = try dir.loadConfig() { s = saved }
        else { s = defaultPreset.settings }
        if let size { s.size = size }
        if let crop { s.crop = CropMode(rawValue: crop)! }
        if let normalize { s.normalization = NormalizationChoice(rawValue: normalize)! }
        if let backbone { s.backbone = ResNetDepth(rawValue: backbone)! }
        if let seed { s.seed = seed }
        if let threads { s.threads = threads }
        if strict { s.strict = true }
        return (dir, s)
    }

    var progress: any ProgressSink { quiet ? SilentProgress() : TerminalProgress() }
}

/// Turns library errors into a clean message and exit code 1 (no stack trace for user errors).
func runReportingErrors(_ body: () throws -> Void) throws {
    do { try body() } catch let e as ValidationError { throw e } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode.failure
    }
}
