import Compute
import Foundation

extension ResNet: Backbone {
    public var architecture: any BackboneArchitecture { depth }
}

extension ResNetDepth: BackboneArchitecture {
    public var name: String { rawValue }

    public func trunkSide(imageSize: Int) -> Int { Self.trunkSide(imageSize: imageSize) }

    public func stages(imageSize: Int) -> [BackboneStage] {
        let sides = Self.mapSides(imageSize: imageSize)
        let expansion = usesBottleneck ? 4 : 1
        return [BackboneStage(name: "conv1", channels: 64, side: sides[0]), BackboneStage(name: "maxpool", channels: 64, side: sides[1])]
            + (1...4).map { BackboneStage(name: "layer\($0)", channels: (32 << $0) * expansion, side: sides[$0 + 1]) }
    }

    public func makeBackbone(seed: UInt64) -> any Backbone { ResNet(self, classes: nil, seed: seed) }

    /// torchvision's or timm's weights for this depth, without the `fc` classifier.
    public func loadWeights(from url: URL, into backbone: any Backbone) throws -> String {
        let report = try WeightImport.importResNet(from: url, arch: self, partial: false)
        var sd = StateDict()
        for t in report.tensors where !t.name.hasPrefix("fc.") { sd.floats[t.name] = t.tensor }
        for t in report.integerTensors { sd.integers[t.name] = t.tensor }
        let loaded = try sd.load(into: backbone, partial: false, source: url.path)
        return "\(loaded.loaded.count) tensors"
    }
}
