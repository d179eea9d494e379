import Compute
import Foundation

extension ResNet: Backbone {
    public var architecture: any BackboneArchitecture { ResNetArchitecture(depth: depth, width: width) }
}

/// A ResNet of some depth and base width: `resnet18` (torchvision's width 64) or `resnet18-w32` (half as wide).
public struct ResNetArchitecture: BackboneArchitecture, Hashable {
    public let depth: ResNetDepth
    /// Channels of the stem and the first stage.
    public let width: Int

    /// Widths a name may ask for (`-w8` … `-w128`, in steps of 8).
    public static let widths = stride(from: 8, through: 128, by: 8)

    public init(depth: ResNetDepth, width: Int = ResNetDepth.standardWidth) {
        self.depth = depth
        self.width = width
    }

    /// Parses `resnet18`, `resnet50-w32`, …; nil for anything else.
    public init?(name: String) {
        let parts = name.split(separator: "-", maxSplits: 1).map(String.init)
        guard let depth = ResNetDepth(rawValue: parts[0]) else { return nil }
        var width = ResNetDepth.standardWidth
        if parts.count == 2 {
            guard parts[1].hasPrefix("w"), let w = Int(parts[1].dropFirst()), Self.widths.contains(w) else { return nil }
            width = w
        }
        self.init(depth: depth, width: width)
    }

    public var name: String { width == ResNetDepth.standardWidth ? depth.rawValue : "\(depth.rawValue)-w\(width)" }
    public var featureChannels: Int { depth.featureChannels(width: width) }

    public func trunkSide(imageSize: Int) -> Int { ResNetDepth.trunkSide(imageSize: imageSize) }

    public func stages(imageSize: Int) -> [BackboneStage] {
        let sides = ResNetDepth.mapSides(imageSize: imageSize)
        let expansion = depth.usesBottleneck ? 4 : 1
        return [BackboneStage(name: "conv1", channels: width, side: sides[0]), BackboneStage(name: "maxpool", channels: width, side: sides[1])]
            + (1...4).map { BackboneStage(name: "layer\($0)", channels: (width << ($0 - 1)) * expansion, side: sides[$0 + 1]) }
    }

    public func trunkFLOPs(imageSize: Int) -> Double { depth.trunkFLOPs(size: imageSize, width: width) }
    public func stemFLOPs(imageSize: Int) -> Double { depth.stemFLOPs(size: imageSize, width: width) }

    public func makeBackbone(seed: UInt64) -> any Backbone { ResNet(depth, classes: nil, seed: seed, width: width) }

    /// torchvision's or timm's weights for this depth, without the `fc` classifier (standard width only).
    public func loadWeights(from url: URL, into backbone: any Backbone) throws -> String {
        guard width == ResNetDepth.standardWidth else {
            throw ComputeError("\(name): published ResNet weights exist for the standard width \(ResNetDepth.standardWidth) only")
        }
        let report = try WeightImport.importResNet(from: url, arch: depth, partial: false)
        var sd = StateDict()
        for t in report.tensors where !t.name.hasPrefix("fc.") { sd.floats[t.name] = t.tensor }
        for t in report.integerTensors { sd.integers[t.name] = t.tensor }
        let loaded = try sd.load(into: backbone, partial: false, source: url.path)
        return "\(loaded.loaded.count) tensors"
    }
}
