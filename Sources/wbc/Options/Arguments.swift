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
extension SelfLabelEncoder: ExpressibleByArgument {}
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

/// A registry of named members (`--objective`, `--method`): the names a flag accepts.
protocol NameRegistry {
    static var names: [String] { get }
}

extension PretrainingObjectives: NameRegistry {}
extension ClusteringMethods: NameRegistry {}

/// A flag value that must name a member of `Registry`; --help lists the names.
struct RegisteredName<Registry: NameRegistry>: ExpressibleByArgument, Sendable {
    let name: String
    init?(argument: String) {
        guard Registry.names.contains(argument) else { return nil }
        name = argument
    }
    static var allValueStrings: [String] { Registry.names }
}

/// `--objective`: a pretraining objective of `PretrainingObjectives.all`.
typealias ObjectiveName = RegisteredName<PretrainingObjectives>
/// `--method`: a clustering method of `ClusteringMethods.all`.
typealias MethodName = RegisteredName<ClusteringMethods>

/// Checks a `--threads` value: 0 means all cores; negative values are refused.
func validateThreads(_ threads: Int?) throws {
    if let threads, threads < 0 { throw ValidationError("--threads must be 0 (all cores) or positive (got \(threads))") }
}

func validateMegapixels(_ megapixels: Double?) throws {
    let allowed = RunSettings.allowedMegapixels
    if let megapixels, !(megapixels > 0 && allowed.contains(megapixels)) {
        throw ValidationError("--max-megapixels must be above 0 and at most \(Int(allowed.upperBound)) (got \(megapixels))")
    }
}

/// The progress output: bars and epoch lines on a terminal; with --quiet only the results, notes and warnings.
func progressSink(quiet: Bool) -> any ProgressSink { quiet ? QuietProgress() : TerminalProgress() }

/// `--k`: a number of clusters, or `auto` / `auto:LOW-HIGH` to choose it from the data.
struct ClusterCount: ExpressibleByArgument, Sendable {
    var fixed: Int?
    var range: [Int]?

    init?(argument: String) {
        if let k = Int(argument) {
            fixed = k
            return
        }
        guard argument.hasPrefix("auto") else { return nil }
        let rest = argument.dropFirst(4)
        if rest.isEmpty {
            range = [2, 10]
            return
        }
        let bounds = rest.dropFirst().split(separator: "-").compactMap { Int($0) }
        guard rest.first == ":", bounds.count == 2 else { return nil }
        range = bounds
    }

    static var defaultCompletionKind: CompletionKind { .list(["auto", "2", "3", "4", "5"]) }
}
