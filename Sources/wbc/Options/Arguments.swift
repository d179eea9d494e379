import ArgumentParser
import Imaging
import Models
import Workflows

// The settings' enums, parsed (and listed in --help) by ArgumentParser itself.
extension Preset: ExpressibleByArgument {}
extension CropMode: ExpressibleByArgument {}
extension NormalizationChoice: ExpressibleByArgument {}
extension FeatureMode: ExpressibleByArgument {}
extension DECOptimizer: ExpressibleByArgument {}
extension ResNetDepth: ExpressibleByArgument {}
extension BenchmarkConfiguration.Mode: ExpressibleByArgument {}
extension PretrainedWeights.Variant: ExpressibleByArgument {}

/// `--backbone`: any architecture in `Backbones.all`.
extension BackboneID: ExpressibleByArgument {
    public init?(argument: String) {
        guard Backbones.named(argument) != nil else { return nil }
        self.init(rawValue: argument)
    }
    public static var allValueStrings: [String] { Backbones.names }
}

/// `--objective`: a pretraining objective of `PretrainingObjectives.all`.
struct ObjectiveName: ExpressibleByArgument, Sendable {
    let name: String
    init?(argument: String) {
        guard PretrainingObjectives.named(argument) != nil else { return nil }
        name = argument
    }
    static var allValueStrings: [String] { PretrainingObjectives.names }
}

/// `--method`: a clustering method of `ClusteringMethods.all`.
struct MethodName: ExpressibleByArgument, Sendable {
    let name: String
    init?(argument: String) {
        guard ClusteringMethods.named(argument) != nil else { return nil }
        name = argument
    }
    static var allValueStrings: [String] { ClusteringMethods.names }
}

/// Checks a `--threads` value: 0 means all cores; negative values are refused.
func validateThreads(_ threads: Int?) throws {
    if let threads, threads < 0 { throw ValidationError("--threads must be 0 (all cores) or positive (got \(threads))") }
}

/// The progress output: bars and epoch lines on a terminal, nothing with --quiet.
func progressSink(quiet: Bool) -> any ProgressSink { quiet ? SilentProgress() : TerminalProgress() }
