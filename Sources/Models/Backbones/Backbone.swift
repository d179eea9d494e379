import Compute
import Foundation

/// An encoder network that turns images into a feature map: the part of every model that pretraining
/// trains and clustering, evaluation, prediction and embedding use.
///
/// A new family is one new file: a `Layer` that conforms to `Backbone`, a value that conforms to
/// `BackboneArchitecture`, and its entry in `Backbones.all` (EfficientNet-Lite is such a family).
public protocol Backbone: Layer {
    /// What this network is.
    var architecture: any BackboneArchitecture { get }
    /// The feature map before pooling, `[N, C, h, w]` with `C = architecture.featureChannels`.
    func trunk(_ x: Tensor) throws -> Tensor
    /// Accumulates the parameters' gradients from the gradient of the last `trunk` output (training mode);
    /// the images' own gradient is not computed.
    func backwardTrunkParameters(_ dy: Tensor) throws
}

/// One member of a backbone family (`resnet18`, `resnet50`, …): its sizes, how to build it, how to load
/// its published weights.
public protocol BackboneArchitecture: Sendable {
    /// The name settings, checkpoints and the command line use.
    var name: String { get }
    /// Channels of the trunk's output map (and of the pooled feature vector).
    var featureChannels: Int { get }
    /// Side of the trunk's output map for `imageSize`-pixel square images.
    func trunkSide(imageSize: Int) -> Int
    /// The main blocks' names, output channels and sides for one `imageSize` image (for the report).
    func stages(imageSize: Int) -> [BackboneStage]
    /// Multiply-add FLOPs (2 per MAC) of the trunk's convolutions for one `imageSize`-pixel square image.
    func trunkFLOPs(imageSize: Int) -> Double
    /// The FLOPs of the first convolution alone: training skips its input gradient.
    func stemFLOPs(imageSize: Int) -> Double
    /// A freshly initialised network (without a classifier), seeded.
    func makeBackbone(seed: UInt64) -> any Backbone
    /// Loads published weights (a PyTorch `.pth` or `.safetensors`) into `backbone`; returns what was loaded.
    func loadWeights(from url: URL, into backbone: any Backbone) throws -> String
}

/// A block of a backbone, as the report's network table lists it.
public struct BackboneStage: Sendable, Equatable {
    /// State-dict prefix of the block (`conv1`, `layer3`).
    public var name: String
    public var channels: Int
    public var side: Int
    public init(name: String, channels: Int, side: Int) {
        self.name = name
        self.channels = channels
        self.side = side
    }
}

/// Every backbone wbc can build, by name.
public enum Backbones {
    /// The standard members (a ResNet may also be asked for at another width: `resnet18-w32`).
    public static let all: [any BackboneArchitecture] =
        ResNetDepth.allCases.map { ResNetArchitecture(depth: $0) } + EfficientNetLiteVariant.allCases.map { EfficientNetLiteArchitecture($0) }

    /// The names to offer: the standard members and the half-width ResNets.
    public static var names: [String] { all.map(\.name) + ResNetDepth.allCases.map { "\($0.rawValue)-w32" } }

    public static func named(_ name: String) -> (any BackboneArchitecture)? {
        all.first { $0.name == name } ?? ResNetArchitecture(name: name)
    }
}

/// The name of a backbone in settings and checkpoints (stored as the plain string, e.g. `"resnet18"`).
public struct BackboneID: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// Any name; `architecture` is nil for one wbc does not know (`Backbones.named`).
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ architecture: any BackboneArchitecture) { rawValue = architecture.name }

    public static let resnet18 = BackboneID(rawValue: "resnet18")
    public static let resnet34 = BackboneID(rawValue: "resnet34")
    public static let resnet50 = BackboneID(rawValue: "resnet50")

    public var architecture: (any BackboneArchitecture)? { Backbones.named(rawValue) }
    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}
