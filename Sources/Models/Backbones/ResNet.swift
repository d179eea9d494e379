import Compute
import Determinism

/// A residual block: torchvision's `BasicBlock` (two 3×3 convolutions) or `Bottleneck`
/// (1×1 → 3×3 with the stride → 1×1 ×4, ResNet v1.5), with an optional `downsample` shortcut.
public final class ResidualBlock: Layer, @unchecked Sendable {
    public var isTraining = true
    let convs: [Conv2d]
    /// Batch norms; each one a ReLU follows (all but the last) applies it itself (`appliesReLU`).
    let bns: [BatchNorm2d]
    let downsample: Sequential?
    /// The block's output in training mode (relu(main + shortcut)), for the final ReLU's backward.
    private var output: Tensor?

    init(inChannels: Int, width: Int, stride: Int, bottleneck: Bool, rng: inout SeededGenerator) {
        let out = bottleneck ? width * 4 : width
        if bottleneck {
            convs = [
                Conv2d(ConvGeometry(inChannels: inChannels, outChannels: width, kernel: 1), rng: &rng),
                Conv2d(ConvGeometry(inChannels: width, outChannels: width, kernel: 3, stride: stride, padding: 1), rng: &rng),
                Conv2d(ConvGeometry(inChannels: width, outChannels: out, kernel: 1), rng: &rng),
            ]
            bns = [BatchNorm2d(width), BatchNorm2d(width), BatchNorm2d(out)]
        } else {
            convs = [
                Conv2d(ConvGeometry(inChannels: inChannels, outChannels: width, kernel: 3, stride: stride, padding: 1), rng: &rng),
                Conv2d(ConvGeometry(inChannels: width, outChannels: width, kernel: 3, padding: 1), rng: &rng),
            ]
            bns = [BatchNorm2d(width), BatchNorm2d(width)]
        }
        for bn in bns.dropLast() { bn.appliesReLU = true }
        if stride != 1 || inChannels != out {
            downsample = Sequential([
                Conv2d(ConvGeometry(inChannels: inChannels, outChannels: out, kernel: 1, stride: stride), rng: &rng),
                BatchNorm2d(out),
            ])
        } else {
            downsample = nil
        }
        // torchvision zero-initialises nothing by default (zero_init_residual=False).
    }

    public var children: [(String, any Layer)] {
        var c: [(String, any Layer)] = []
        for i in convs.indices {
            c.append(("conv\(i + 1)", convs[i]))
            c.append(("bn\(i + 1)", bns[i]))
        }
        if let downsample { c.append(("downsample", downsample)) }
        return c
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        if !isTraining { return try forwardInference(x) }
        var h = x
        for i in convs.indices { h = try bns[i].forward(convs[i].forward(h)) }
        let shortcut = try downsample?.forward(x) ?? x
        // The last batch norm's output is read by nothing else: the sum and its ReLU go into its bytes.
        let y = try Functional.addReLU(h, shortcut, reuseFirst: true)
        output = y
        return y
    }

    /// BN folded into each convolution, ReLU and the residual add fused as oneDNN post-ops.
    /// With `consumeInput`, an identity shortcut's bytes are reused for the output (x must be dead afterwards).
    func forwardInference(_ x: Tensor, consumeInput: Bool = false) throws -> Tensor {
        var h = x
        for i in 0..<(convs.count - 1) {
            h = try convs[i].forwardFused(h, foldedBN: bns[i], post: ConvPostOps(relu: true))
        }
        let shortcut: Tensor
        let shortcutIsTemporary: Bool
        if let downsample, let conv = downsample.layers[0].1 as? Conv2d, let bn = downsample.layers[1].1 as? BatchNorm2d {
            shortcut = try conv.forwardFused(x, foldedBN: bn, post: ConvPostOps())
            shortcutIsTemporary = true
        } else {
            shortcut = x
            shortcutIsTemporary = consumeInput
        }
        return try convs[convs.count - 1].forwardFused(
            h, foldedBN: bns[bns.count - 1], post: ConvPostOps(sum: true, relu: true),
            residual: shortcut, consumeResidual: shortcutIsTemporary)
    }

    public func backward(_ dy: Tensor) throws -> Tensor {
        guard let y = output else { throw ComputeError("ResidualBlock.backward called without a training-mode forward pass first") }
        output = nil
        let g = try Functional.reluBackward(dy, output: y)
        var h = g
        for i in convs.indices.reversed() { h = try convs[i].backward(bns[i].backward(h)) }
        let gShortcut = try downsample?.backward(g) ?? g
        return try Functional.add(h, gShortcut)
    }
}

/// torchvision's ResNet-18/34/50 with its exact topology and state-dict names
/// (`conv1.weight`, `bn1.running_mean`, `layer3.2.conv2.weight`, `layer1.0.downsample.0.weight`, `fc.bias`, …),
/// so torchvision weights load by name.
///
/// `trunk(_:)` gives the feature map without avgpool/fc (`[N, 2048, 7, 7]` at 224² for ResNet-50);
/// `pooled(_:)` the `[N, 2048]` vector; `forward(_:)` the logits when the classifier head exists.
/// He et al., "Deep Residual Learning for Image Recognition" (2015).
public final class ResNet: Layer, @unchecked Sendable {
    public let depth: ResNetDepth
    /// Channels of the stem and the first stage (64 in torchvision).
    public let width: Int
    public var isTraining = true
    public let conv1: Conv2d
    /// The stem's batch norm, which applies the stem's ReLU itself (`appliesReLU`).
    public let bn1: BatchNorm2d
    private let maxpool = Pool2d(PoolGeometry(.max, kernel: 3, stride: 2, padding: 1))
    public let stages: [Sequential]
    private let avgpool = GlobalAveragePool()
    /// The ImageNet classifier (`fc`), absent when built without a head.
    public let fc: Linear?

    /// - Parameters:
    ///   - classes: size of the `fc` head, or nil for a trunk without classifier.
    ///   - width: channels of the stem and the first stage (torchvision's 64); the later stages double it. At
    ///     32 a network has about a quarter of the FLOPs, for self-supervised training on a CPU budget.
    public init(_ depth: ResNetDepth, classes: Int? = 1000, seed: UInt64 = 0, width base: Int = ResNetDepth.standardWidth) {
        self.depth = depth
        self.width = base
        var rng = SeededGenerator(seed: seed)
        conv1 = Conv2d(ConvGeometry(inChannels: 3, outChannels: base, kernel: 7, stride: 2, padding: 3), rng: &rng)
        bn1 = BatchNorm2d(base)
        bn1.appliesReLU = true
        var inC = base
        var stages: [Sequential] = []
        for (s, blocks) in depth.stageBlocks.enumerated() {
            let width = base << s
            var layers: [any Layer] = []
            for b in 0..<blocks {
                let block = ResidualBlock(
                    inChannels: inC, width: width, stride: (b == 0 && s > 0) ? 2 : 1,
                    bottleneck: depth.usesBottleneck, rng: &rng)
                inC = depth.usesBottleneck ? width * 4 : width
                layers.append(block)
            }
            stages.append(Sequential(layers))
        }
        self.stages = stages
        fc = classes.map { Linear(depth.featureChannels(width: base), $0, rng: &rng) }
    }

    public var children: [(String, any Layer)] {
        var c: [(String, any Layer)] = [("conv1", conv1), ("bn1", bn1), ("maxpool", maxpool)]
        for (i, s) in stages.enumerated() { c.append(("layer\(i + 1)", s)) }
        c.append(("avgpool", avgpool))
        if let fc { c.append(("fc", fc)) }
        return c
    }

    /// Activation bytes per inference chunk: the batch is run a few images at a time so that the widest maps
    /// (the stem's and the first stage's) stay near the CPU's caches. On the 2-core VM (32 MB L3) ResNet-50 at
    /// 224² ran at 23.3 img/s with batch 16 in one piece and 24.9 in chunks of 2 (README, "Speed").
    public static let inferenceChunkBytes = 8 << 20

    /// Images per inference chunk for `side`×`side` inputs: what fits `inferenceChunkBytes`, and at least one
    /// image per oneDNN thread so that the small late stages still feed every core.
    public func inferenceChunk(side: Int) -> Int {
        let sides = ResNetDepth.mapSides(imageSize: side)
        let stem = width * sides[0] * sides[0]
        let first = (depth.usesBottleneck ? 4 * width : width) * sides[2] * sides[2]
        return max(Engine.threads, Self.inferenceChunkBytes / (4 * max(stem, first)))
    }

    /// The feature map before global pooling, `[N, C, H/32, W/32]`.
    public func trunk(_ x: Tensor) throws -> Tensor {
        guard x.shape.count == 4, x.shape[1] == 3 else {
            throw ComputeError("ResNet expects images [N, 3, H, W], got \(x.shape)")
        }
        let n = x.shape[0]
        let chunk = inferenceChunk(side: x.shape[2])
        guard isTraining || n <= chunk else {
            // Evaluation mode: images are independent, so run the batch in chunks and stack the maps (plain).
            return try x.mapChunks(of: chunk) { try trunk($0) }
        }
        var h: Tensor
        if isTraining {
            h = try bn1.forward(conv1.forward(x))
        } else {
            h = try conv1.forwardFused(x, foldedBN: bn1, post: ConvPostOps(relu: true))
        }
        h = try maxpool.forward(h)
        for s in stages {
            if isTraining {
                h = try s.forward(h)
            } else {
                // Every intermediate map is dead once the next block has read it: let blocks reuse it.
                for (_, block) in s.layers { h = try (block as! ResidualBlock).forwardInference(h, consumeInput: true) }
            }
        }
        return h
    }

    /// Gradient of the input given the gradient of `trunk`'s output (training mode).
    public func backwardTrunk(_ dy: Tensor) throws -> Tensor { try conv1.backward(stemOutputGradient(dy)) }

    /// `backwardTrunk` for the parameter gradients only: the gradient with respect to the images is not
    /// computed (training never needs it; PyTorch skips it too for inputs without `requires_grad`).
    /// This saves the stem's backward-data pass, the most expensive one (7×7 over the full image).
    public func backwardTrunkParameters(_ dy: Tensor) throws { try conv1.backwardParameters(stemOutputGradient(dy)) }

    /// The gradient at the stem convolution's output, from the gradient at the trunk's output.
    private func stemOutputGradient(_ dy: Tensor) throws -> Tensor {
        var g = dy
        for s in stages.reversed() { g = try s.backward(g) }
        g = try maxpool.backward(g)
        return try bn1.backward(g)
    }

    /// The globally pooled features, `[N, C]`.
    public func pooled(_ x: Tensor) throws -> Tensor { try avgpool.forward(trunk(x)) }

    public func backwardPooled(_ dy: Tensor) throws -> Tensor { try backwardTrunk(avgpool.backward(dy)) }

    /// Logits `[N, classes]` (requires the `fc` head).
    public func forward(_ x: Tensor) throws -> Tensor {
        guard let fc else { throw ComputeError("this ResNet was built without the fc head; use pooled(_:) or trunk(_:)") }
        return try fc.forward(pooled(x))
    }

    public func backward(_ dy: Tensor) throws -> Tensor {
        guard let fc else { throw ComputeError("this ResNet was built without the fc head") }
        return try backwardPooled(fc.backward(dy))
    }

    /// `backward` for the parameter gradients only (see `backwardTrunkParameters`).
    public func backwardParameters(_ dy: Tensor) throws {
        guard let fc else { throw ComputeError("this ResNet was built without the fc head") }
        try backwardTrunkParameters(avgpool.backward(fc.backward(dy)))
    }
}
