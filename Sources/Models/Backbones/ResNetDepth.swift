import Compute

/// Depth of a torchvision ResNet (He et al. 2016): the one type that names ResNet-18, -34 and -50 everywhere
/// (models, weight import, settings, benchmarks).
public enum ResNetDepth: String, Sendable, Codable, CaseIterable {
    case resnet18, resnet34, resnet50

    /// Blocks per stage.
    public var stageBlocks: [Int] {
        switch self {
        case .resnet18: return [2, 2, 2, 2]
        case .resnet34, .resnet50: return [3, 4, 6, 3]
        }
    }
    public var usesBottleneck: Bool { self == .resnet50 }
    /// torchvision's base width: channels of the stem and the first stage.
    public static let standardWidth = 64
    /// Channels of the trunk's output (and of the pooled feature vector) at torchvision's width.
    public var featureChannels: Int { featureChannels(width: Self.standardWidth) }
    /// Channels of the trunk's output for base width `width`.
    public func featureChannels(width: Int) -> Int { 8 * width * (usesBottleneck ? 4 : 1) }

    // MARK: Sizes (the one place the ResNet's spatial arithmetic is written)

    /// Output side of a convolution or pooling window over a `side`-pixel input.
    public static func outputSide(_ side: Int, kernel: Int, stride: Int, padding: Int) -> Int {
        (side + 2 * padding - kernel) / stride + 1
    }

    /// Side of the stem convolution's output (7×7, stride 2, padding 3) for a `size`-pixel image.
    public static func stemSide(imageSize size: Int) -> Int { outputSide(size, kernel: 7, stride: 2, padding: 3) }

    /// Sides of the maps after the stem, the max-pool and each of the four stages, for a `size`-pixel image:
    /// `[stem, pool, layer1, layer2, layer3, layer4]` (layer2–4 halve the map with a stride-2 3×3).
    public static func mapSides(imageSize size: Int) -> [Int] {
        var sides = [stemSide(imageSize: size)]
        sides.append(outputSide(sides[0], kernel: 3, stride: 2, padding: 1))
        sides.append(sides[1])
        for _ in 0..<3 { sides.append(outputSide(sides.last!, kernel: 3, stride: 2, padding: 1)) }
        return sides
    }

    /// Side of the trunk's output map (before pooling) for a `size`-pixel image.
    public static func trunkSide(imageSize size: Int) -> Int { mapSides(imageSize: size).last! }

    /// Multiply-add FLOPs of the stem's 7×7 convolution for one `size`×`size` image (the same for every depth).
    /// Training skips its input gradient, so a training step costs 3× the trunk less this.
    public func stemFLOPs(size: Int, width: Int = standardWidth) -> Double {
        let side = Self.stemSide(imageSize: size)
        return 2 * Double(3 * width * 7 * 7) * Double(side * side)
    }

    /// Multiply-add FLOPs (2 per MAC) of the trunk's convolutions for one `size`×`size` image: what a forward
    /// pass to the pooled features costs (batch norm, ReLU, pooling and adds are not counted).
    public func trunkFLOPs(size: Int, width base: Int = standardWidth) -> Double {
        func conv(_ cin: Int, _ cout: Int, _ k: Int, _ side: Int) -> Double { 2 * Double(cin * cout * k * k) * Double(side * side) }
        var side = Self.mapSides(imageSize: size)[1]
        var flops = stemFLOPs(size: size, width: base)
        var channels = base
        for (stage, blocks) in stageBlocks.enumerated() {
            let width = base << stage
            for block in 0..<blocks {
                let stride = stage > 0 && block == 0 ? 2 : 1
                let outSide = Self.outputSide(side, kernel: 3, stride: stride, padding: 1)
                let outChannels = usesBottleneck ? width * 4 : width
                if usesBottleneck {
                    flops += conv(channels, width, 1, side) + conv(width, width, 3, outSide) + conv(width, outChannels, 1, outSide)
                } else {
                    flops += conv(channels, width, 3, outSide) + conv(width, width, 3, outSide)
                }
                if stride != 1 || channels != outChannels { flops += conv(channels, outChannels, 1, outSide) }
                side = outSide
                channels = outChannels
            }
        }
        return flops
    }
}
