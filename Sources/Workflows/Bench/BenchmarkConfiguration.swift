import Compute
import Models

/// What the model benchmark measures.
public struct BenchmarkConfiguration: Sendable, Codable {
    public enum Mode: String, Sendable, Codable, CaseIterable { case forward, train, contrastive, decode, conv, peak }
    /// The backbone timed (`Backbones.names`).
    public var model: BackboneID = .resnet50
    /// A ResNet's base width (64 = torchvision's; 32 = a quarter of the FLOPs); other backbones ignore it.
    public var width = ResNetDepth.standardWidth
    public var mode: Mode = .forward
    public var batch = 16
    public var size = 224
    public var threads = 0
    public var repeats = 10
    public var warmup = 2
    public init() {}

    /// What `model` and `width` name: a ResNet at `width`, or another backbone; nil for an unknown name.
    public var architecture: (any BackboneArchitecture)? {
        if let depth = ResNetDepth(rawValue: model.rawValue) { return ResNetArchitecture(depth: depth, width: width) }
        return model.architecture
    }
}

/// Timings of one benchmark: the median over repetitions after warm-up.
public struct BenchmarkResult: Sendable, Codable {
    public var configuration: BenchmarkConfiguration
    public var imagesPerSecond: Double
    public var medianSeconds: Double
    public var minSeconds: Double
    public var maxSeconds: Double
    public var peakRSSBytes: Int
    public var threads: Int
    /// Arithmetic rate: convolution FLOPs per second (forward: the trunk; train: 3× the trunk, forward +
    /// data and weight gradients, less the stem's input gradient, which training skips; conv: the one
    /// convolution; peak: the FMA loop). FLOPs are direct convolution's.
    public var gflopsPerSecond: Double
    /// How the 3×3 convolutions ran (`auto`: Winograd where faster, so `gflopsPerSecond`, which counts direct
    /// convolution's FLOPs, is an effective rate; `direct`: set by `WBC_CONV_ALGORITHM=direct`).
    public var convolutionAlgorithm: String? = Engine.convolutionAlgorithm.rawValue
    /// Which of oneDNN's implementations the inference convolutions ran (`jit` or `onednn`; `WBC_CONV_IMPL`).
    public var convolutionImplementation: String? = Engine.convolutionImplementation.rawValue
    /// Train mode: the median seconds of each phase of a step ("forward" with the loss, "backward", "optimizer").
    public var phaseSeconds: [String: Double]? = nil

    enum CodingKeys: String, CodingKey {
        case configuration, threads
        case convolutionAlgorithm = "convolution_algorithm"
        case convolutionImplementation = "convolution_implementation"
        case phaseSeconds = "phase_seconds"
        case gflopsPerSecond = "gflops_per_second"
        case imagesPerSecond = "images_per_second"
        case medianSeconds = "median_seconds"
        case minSeconds = "min_seconds"
        case maxSeconds = "max_seconds"
        case peakRSSBytes = "peak_rss_bytes"
    }
}
