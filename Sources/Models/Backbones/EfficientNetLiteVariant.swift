import Compute

/// A member of the EfficientNet-Lite family (Tan & Le, "EfficientNet", arXiv 1905.11946; the Lite variants of
/// TensorFlow's `efficientnet/lite`): EfficientNet without squeeze-and-excitation, with ReLU6 instead of swish
/// and with the stem and head kept at 32 and 1,280 channels whatever the width multiplier.
public enum EfficientNetLiteVariant: String, Sendable, Codable, CaseIterable {
    case lite0 = "efficientnet-lite0"
    case lite1 = "efficientnet-lite1"
    case lite2 = "efficientnet-lite2"
    case lite3 = "efficientnet-lite3"
    case lite4 = "efficientnet-lite4"

    /// The compound-scaling coefficients and the native resolution, as the reference package
    /// (`efficientnet-lite-pytorch`, `efficientnet_params`) gives them.
    public var configuration: EfficientNetLiteConfiguration {
        switch self {
        case .lite0: return EfficientNetLiteConfiguration(width: 1.0, depth: 1.0, resolution: 224)
        case .lite1: return EfficientNetLiteConfiguration(width: 1.0, depth: 1.1, resolution: 240)
        case .lite2: return EfficientNetLiteConfiguration(width: 1.1, depth: 1.2, resolution: 260)
        case .lite3: return EfficientNetLiteConfiguration(width: 1.2, depth: 1.4, resolution: 280)
        case .lite4: return EfficientNetLiteConfiguration(width: 1.4, depth: 1.8, resolution: 300)
        }
    }
}

/// One MBConv block's shape: what `MBConvBlock` builds.
public struct MBConvSpec: Sendable, Hashable {
    public var inChannels: Int
    public var outChannels: Int
    /// Channels of the expanded (depthwise) part: `inChannels × expansion`.
    public var expandedChannels: Int
    public var kernel: Int
    public var stride: Int
    /// The depthwise convolution's padding before and after the map, TensorFlow's "SAME" for the native resolution.
    public var padStart: Int
    public var padEnd: Int

    /// Whether the block adds its input to its output (stride 1, same channels).
    public var hasSkip: Bool { stride == 1 && inChannels == outChannels }
    public var expands: Bool { expandedChannels != inChannels }
}

/// The sizes of an EfficientNet-Lite: width and depth multipliers, native resolution, and from them every
/// block's channels, kernel, stride and padding. The one place the family's arithmetic is written.
public struct EfficientNetLiteConfiguration: Sendable, Hashable {
    /// Channel multiplier (`width_coefficient`).
    public var width: Double
    /// Repeat multiplier (`depth_coefficient`).
    public var depth: Double
    /// The resolution the published weights were trained at; the "SAME" paddings are computed for it, as the
    /// reference package's static-padding convolutions do, and kept for any input size.
    public var resolution: Int

    public static let stemChannels = 32
    public static let headChannels = 1280
    /// The batch norms' ε and momentum: TensorFlow's 1e-3 and 0.99 (PyTorch's momentum 1 − 0.99).
    public static let batchNormEpsilon: Float = 1e-3
    public static let batchNormMomentum: Float = 0.01

    /// EfficientNet-B0's stages: repeats, kernel, stride, expansion, input and output channels
    /// (`r1_k3_s11_e1_i32_o16`, …).
    static let baseStages: [(repeats: Int, kernel: Int, stride: Int, expansion: Int, inChannels: Int, outChannels: Int)] = [
        (1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
        (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320),
    ]

    public init(width: Double, depth: Double, resolution: Int) {
        self.width = width
        self.depth = depth
        self.resolution = resolution
    }

    /// Channels scaled by `width`, rounded to a multiple of 8 and never more than 10 % below (`round_filters`).
    public func roundChannels(_ channels: Int) -> Int {
        let divisor = 8
        let scaled = Double(channels) * width
        var rounded = max(divisor, Int(scaled + Double(divisor) / 2) / divisor * divisor)
        if Double(rounded) < 0.9 * scaled { rounded += divisor }
        return rounded
    }

    /// TensorFlow's "SAME" padding of a convolution over a `side`-pixel map: (before, after, output side).
    static func samePadding(side: Int, kernel: Int, stride: Int) -> (start: Int, end: Int, output: Int) {
        let output = (side + stride - 1) / stride
        let total = max((output - 1) * stride + kernel - side, 0)
        return (total / 2, total - total / 2, output)
    }

    /// The stem's 3×3 stride-2 convolution.
    public var stemGeometry: ConvGeometry {
        let pad = Self.samePadding(side: resolution, kernel: 3, stride: 2)
        return ConvGeometry(inChannels: 3, outChannels: Self.stemChannels, kernel: 3, stride: 2, padding: pad.start, paddingEnd: pad.end)
    }

    /// Every MBConv block in order, grouped by stage (`_blocks.N` numbers them across stages).
    public var stages: [[MBConvSpec]] {
        var side = Self.samePadding(side: resolution, kernel: 3, stride: 2).output
        var result: [[MBConvSpec]] = []
        for (index, stage) in Self.baseStages.enumerated() {
            // The stem's and head's stages keep their repeats (and the first its 32 input channels).
            let fixed = index == 0 || index == Self.baseStages.count - 1
            let repeats = fixed ? stage.repeats : Int((depth * Double(stage.repeats)).rounded(.up))
            var inChannels = index == 0 ? Self.stemChannels : roundChannels(stage.inChannels)
            let outChannels = roundChannels(stage.outChannels)
            var blocks: [MBConvSpec] = []
            for r in 0..<repeats {
                let stride = r == 0 ? stage.stride : 1
                let pad = Self.samePadding(side: side, kernel: stage.kernel, stride: stride)
                blocks.append(
                    MBConvSpec(
                        inChannels: inChannels, outChannels: outChannels, expandedChannels: inChannels * stage.expansion,
                        kernel: stage.kernel, stride: stride, padStart: pad.start, padEnd: pad.end))
                side = pad.output
                inChannels = outChannels
            }
            result.append(blocks)
        }
        return result
    }

    /// Channels of the last block's output (the head's input).
    public var lastBlockChannels: Int { roundChannels(Self.baseStages.last!.outChannels) }

    /// Sides of the maps after the stem and after each stage, for a `size`-pixel input.
    public func mapSides(imageSize size: Int) -> [Int] {
        var side = stemGeometry.convOutput(size, size).0
        var sides = [side]
        for stage in stages {
            for block in stage {
                side = depthwiseGeometry(block).convOutput(side, side).0
            }
            sides.append(side)
        }
        return sides
    }

    /// The depthwise convolution of a block.
    func depthwiseGeometry(_ b: MBConvSpec) -> ConvGeometry {
        ConvGeometry(
            inChannels: b.expandedChannels, outChannels: b.expandedChannels, kernel: b.kernel, stride: b.stride,
            padding: b.padStart, paddingEnd: b.padEnd, groups: b.expandedChannels)
    }

    /// Multiply-add FLOPs (2 per MAC) of the stem convolution for one `size`×`size` image.
    public func stemFLOPs(size: Int) -> Double {
        let side = stemGeometry.convOutput(size, size).0
        return 2 * Double(3 * Self.stemChannels * 9) * Double(side * side)
    }

    /// Multiply-add FLOPs (2 per MAC) of the trunk's convolutions for one `size`×`size` image.
    public func trunkFLOPs(size: Int) -> Double {
        var side = stemGeometry.convOutput(size, size).0
        var flops = stemFLOPs(size: size)
        for block in stages.joined() {
            if block.expands { flops += 2 * Double(block.inChannels * block.expandedChannels) * Double(side * side) }
            side = depthwiseGeometry(block).convOutput(side, side).0
            flops += 2 * Double(block.expandedChannels * block.kernel * block.kernel) * Double(side * side)
            flops += 2 * Double(block.expandedChannels * block.outChannels) * Double(side * side)
        }
        return flops + 2 * Double(lastBlockChannels * Self.headChannels) * Double(side * side)
    }
}
