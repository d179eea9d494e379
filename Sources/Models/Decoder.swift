import Compute
import Determinism

/// One residual up-sampling block of the reference decoder:
/// main path 3×3 transposed conv (stride 2, padding 1, output_padding 1) → BN → ReLU → 3×3 transposed conv
/// (stride 1, padding 1) → BN; shortcut 1×1 transposed conv (stride 2, output_padding 1) → BN, resized
/// bilinearly when its size differs from the main path's; add; ReLU.
public final class UpBlock: Layer, @unchecked Sendable {
    public var isTraining = true
    let up: ConvTranspose2d, bn1: BatchNorm2d, relu1 = ActivationLayer(.relu)
    let conv: ConvTranspose2d, bn2: BatchNorm2d
    let shortcut: ConvTranspose2d, shortcutBN: BatchNorm2d
    let shortcutResize = BilinearResize(height: 1, width: 1)
    let relu = ActivationLayer(.relu)

    public init(_ inChannels: Int, _ outChannels: Int, rng: inout SeededGenerator) {
        up = ConvTranspose2d(
            ConvGeometry(
                inChannels: inChannels, outChannels: outChannels, kernel: 3, stride: 2, padding: 1,
                outputPadding: 1), rng: &rng)
        bn1 = BatchNorm2d(outChannels)
        conv = ConvTranspose2d(ConvGeometry(inChannels: outChannels, outChannels: outChannels, kernel: 3, padding: 1), rng: &rng)
        bn2 = BatchNorm2d(outChannels)
        shortcut = ConvTranspose2d(
            ConvGeometry(
                inChannels: inChannels, outChannels: outChannels, kernel: 1, stride: 2,
                outputPadding: 1), rng: &rng)
        shortcutBN = BatchNorm2d(outChannels)
    }

    public var children: [(String, any Layer)] {
        [
            ("up", up), ("bn1", bn1), ("conv", conv), ("bn2", bn2), ("shortcut", shortcut), ("shortcut_bn", shortcutBN),
            ("relu1", relu1), ("shortcut_resize", shortcutResize), ("relu", relu),
        ]
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        let main = try bn2.forward(conv.forward(relu1.forward(bn1.forward(up.forward(x)))))
        (shortcutResize.height, shortcutResize.width) = (main.shape[2], main.shape[3])
        let s = try shortcutResize.forward(shortcutBN.forward(shortcut.forward(x)))
        return try relu.forward(Functional.add(main, s))
    }

    public func backward(_ dy: Tensor) throws -> Tensor {
        let g = try relu.backward(dy)
        let gMain = try up.backward(bn1.backward(relu1.backward(conv.backward(bn2.backward(g)))))
        let gShort = try shortcut.backward(shortcutBN.backward(shortcutResize.backward(g)))
        return try Functional.add(gMain, gShort)
    }
}

/// The reference decoder: five `UpBlock`s (2048→1024→512→256→128→64 for ResNet-50; channels halve from the
/// encoder's width), a 3×3 transposed conv (stride 2, padding 1, output_padding 1) to 3 channels, Tanh, and a
/// final bilinear resize to the input size.
public final class ReferenceDecoder: Layer, @unchecked Sendable {
    public var isTraining = true
    public let blocks: [UpBlock]
    let head: ConvTranspose2d
    let tanh = ActivationLayer(.tanh)
    let resize = BilinearResize(height: 224, width: 224)
    /// Output size (H, W) the final resize produces.
    public var outputSize: (Int, Int)

    public init(inChannels: Int = 2048, outputSize: (Int, Int) = (224, 224), seed: UInt64 = 1) {
        var rng = SeededGenerator(seed: seed)
        var c = inChannels
        var blocks: [UpBlock] = []
        for _ in 0..<5 {
            blocks.append(UpBlock(c, c / 2, rng: &rng))
            c /= 2
        }
        self.blocks = blocks
        head = ConvTranspose2d(
            ConvGeometry(inChannels: c, outChannels: 3, kernel: 3, stride: 2, padding: 1, outputPadding: 1),
            rng: &rng)
        self.outputSize = outputSize
    }

    public var children: [(String, any Layer)] {
        blocks.enumerated().map { ("block\($0.offset + 1)", $0.element as any Layer) }
            + [("head", head), ("tanh", tanh), ("resize", resize)]
    }

    public func forward(_ z: Tensor) throws -> Tensor {
        var h = z
        for b in blocks { h = try b.forward(h) }
        h = try tanh.forward(head.forward(h))
        (resize.height, resize.width) = outputSize
        return try resize.forward(h)
    }

    public func backward(_ dy: Tensor) throws -> Tensor {
        var g = try head.backward(tanh.backward(resize.backward(dy)))
        for b in blocks.reversed() { g = try b.backward(g) }
        return g
    }
}
