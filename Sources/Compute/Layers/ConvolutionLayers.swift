import CDNNL
import Determinism

/// 2-D convolution, PyTorch `nn.Conv2d` semantics and state-dict names (`weight` `[O, I/g, kH, kW]`, `bias`).
public final class Conv2d: Layer, @unchecked Sendable {
    public let geometry: ConvGeometry
    public let weight: Parameter
    public let bias: Parameter?
    public var isTraining = true
    private var pass = ConvTrainingPass(transposed: false, name: "Conv2d")
    /// For the current parameter versions: the weight and bias with the batch norm folded in, and that weight
    /// reordered for each inference primitive met (input shape, post-ops), up to `inferenceCacheLimit` of them.
    private var inferenceCache = InferenceCache()
    private struct InferenceCache {
        var versions = ""
        var folded: (weight: Tensor, bias: Tensor?)?
        var prepared: [ObjectIdentifier: Tensor] = [:]
    }
    /// Evaluation meets two shapes (full batches and the last one); `wbc serve`'s power-of-two chunks up to six.
    static let inferenceCacheLimit = 8

    /// Kaiming-normal init (fan_out, ReLU gain) as torchvision's ResNet, bias zero.
    public init(_ g: ConvGeometry, bias: Bool = false, rng: inout SeededGenerator) {
        geometry = g
        let fanOut = Float(g.outChannels / g.groups * g.kernelH * g.kernelW)
        let std = (2 / fanOut).squareRoot()
        weight = Parameter(Tensor.randomNormal(ConvolutionOps.torchWeightShape(g, transposed: false), std: std, using: &rng))
        self.bias = bias ? Parameter(Tensor.zeros([g.outChannels])) : nil
    }

    public var ownParameters: [(String, Parameter)] {
        var p = [("weight", weight)]
        if let bias { p.append(("bias", bias)) }
        return p
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        if isTraining { return try pass.forward(x, weight: weight, bias: bias, geometry) }
        return try forwardFused(x, post: ConvPostOps())
    }

    public func backward(_ dy: Tensor) throws -> Tensor {
        try pass.backward(dy, weight: weight, bias: bias, geometry, inputGradient: true)!
    }

    /// Backward for the parameter gradients only, without the input gradient: for a first layer, whose
    /// input (an image) needs none. Saves the backward-data pass.
    public func backwardParameters(_ dy: Tensor) throws {
        _ = try pass.backward(dy, weight: weight, bias: bias, geometry, inputGradient: false)
    }

    /// Inference with an optionally folded batch norm and fused post-ops (ReLU, residual add).
    /// The folded/reordered weights are cached until a parameter changes.
    /// With `consumeResidual`, the result may be written into `residual`'s storage (the caller must not use it again).
    public func forwardFused(
        _ x: Tensor, foldedBN bn: BatchNorm2d? = nil, post: ConvPostOps,
        residual: Tensor? = nil, consumeResidual: Bool = false
    ) throws -> Tensor {
        try forwardFused(
            x, foldedBN: bn, post: post, residual: residual, consumeResidual: consumeResidual,
            implementation: Engine.convolutionImplementation)
    }

    /// `forwardFused` with the inference kernels chosen explicitly (tests).
    func forwardFused(
        _ x: Tensor, foldedBN bn: BatchNorm2d? = nil, post: ConvPostOps, residual: Tensor? = nil,
        consumeResidual: Bool = false, implementation: ConvolutionImplementation
    ) throws -> Tensor {
        let versions = "\(weight.version)|\(bias?.version ?? -1)|\(bn?.stateVersion ?? "")"
        let hasBias = bias != nil || bn != nil  // folding a batch norm gives a bias
        let p = try ConvolutionOps.forwardPrimitive(
            x: x.shape, y: ConvolutionOps.outputShape(x.shape, geometry, transposed: false),
            g: geometry, bias: hasBias, transposed: false, training: false, post: post,
            implementation: implementation)
        // The prepared weight is in this primitive's layout, so it is cached per primitive (primitives live as
        // long as the engine): whatever picks the primitive (input shape, post-ops, algorithm, kernels) picks it.
        if inferenceCache.versions != versions { inferenceCache = InferenceCache(versions: versions) }
        if inferenceCache.prepared.count >= Self.inferenceCacheLimit { inferenceCache.prepared = [:] }
        let folded: (weight: Tensor, bias: Tensor?)
        if let cached = inferenceCache.folded {
            folded = cached
        } else {
            folded = try bn.map { try $0.fold(intoWeight: weight.value, bias: bias?.value) } ?? (weight.value, bias?.value)
            inferenceCache.folded = folded
        }
        let key = ObjectIdentifier(p)
        let prepared: Tensor
        if let cached = inferenceCache.prepared[key] {
            prepared = cached
        } else {
            prepared = try ConvolutionOps.prepareWeight(folded.weight, geometry, transposed: false, for: p)
            inferenceCache.prepared[key] = prepared
        }
        return try ConvolutionOps.run(
            p, x, preparedWeight: prepared, bias: folded.bias, geometry, transposed: false,
            post: post, residual: residual, consumeResidual: consumeResidual)
    }
}

/// 2-D transposed convolution, PyTorch `nn.ConvTranspose2d` semantics (`weight` `[I, O/g, kH, kW]`,
/// `output_padding`).
public final class ConvTranspose2d: Layer, @unchecked Sendable {
    public let geometry: ConvGeometry
    public let weight: Parameter
    public let bias: Parameter?
    public var isTraining = true
    private var pass = ConvTrainingPass(transposed: true, name: "ConvTranspose2d")

    /// PyTorch's default init: U(-1/√fan_in, 1/√fan_in) with fan_in = weight.size(1)·kH·kW.
    public init(_ g: ConvGeometry, bias: Bool = true, rng: inout SeededGenerator) {
        geometry = g
        let fanIn = Float(g.outChannels / g.groups * g.kernelH * g.kernelW)
        let bound = 1 / fanIn.squareRoot()
        weight = Parameter(Tensor.randomUniform(ConvolutionOps.torchWeightShape(g, transposed: true), low: -bound, high: bound, using: &rng))
        self.bias = bias ? Parameter(Tensor.randomUniform([g.outChannels], low: -bound, high: bound, using: &rng)) : nil
    }

    public var ownParameters: [(String, Parameter)] {
        var p = [("weight", weight)]
        if let bias { p.append(("bias", bias)) }
        return p
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        if isTraining { return try pass.forward(x, weight: weight, bias: bias, geometry) }
        return try ConvolutionOps.forward(x, weight: weight.value, bias: bias?.value, geometry, transposed: true, training: false)
    }

    public func backward(_ dy: Tensor) throws -> Tensor {
        try pass.backward(dy, weight: weight, bias: bias, geometry, inputGradient: true)!
    }
}

/// The training forward and backward of a (transposed) convolution: what the forward keeps (its input, and the
/// weight in the forward primitive's layout, reused by backward-data when it wants the same layout).
struct ConvTrainingPass {
    let transposed: Bool
    let name: String
    private var input: Tensor?
    private var preparedWeight: Tensor?

    init(transposed: Bool, name: String) {
        self.transposed = transposed
        self.name = name
    }

    mutating func forward(_ x: Tensor, weight: Parameter, bias: Parameter?, _ g: ConvGeometry) throws -> Tensor {
        input = x
        let p = try ConvolutionOps.trainingForwardPrimitive(bias: bias != nil, x: x.shape, g, transposed: transposed)
        if ConvolutionOps.weightDimsAreTorchShape(g, transposed: transposed) {
            // Keep the weight in the forward's layout: no reorder here, none for its gradient, and the
            // optimizer updates it in place.
            try weight.adoptLayout(p.md(dnnl_query_weights_md))
        }
        let w = try ConvolutionOps.prepareWeight(weight.value, g, transposed: transposed, for: p)
        preparedWeight = w
        return try ConvolutionOps.run(p, x, preparedWeight: w, bias: bias?.value, g, transposed: transposed, post: ConvPostOps())
    }

    /// Accumulates the parameter gradients and returns the input gradient when `inputGradient` is set (nil otherwise).
    mutating func backward(
        _ dy: Tensor, weight: Parameter, bias: Parameter?, _ g: ConvGeometry,
        inputGradient: Bool
    ) throws -> Tensor? {
        guard let x = input else { throw missingForward(name) }
        let (gw, gb) = try ConvolutionOps.backwardWeights(dy, input: x, g, bias: bias != nil, transposed: transposed)
        try weight.accumulate(gw)
        if let gb { try bias?.accumulate(gb) }
        let dx =
            inputGradient
            ? try ConvolutionOps.backwardData(
                dy, weight: weight.value, inputShape: x.shape, g,
                transposed: transposed, prepared: preparedWeight) : nil
        input = nil
        preparedWeight = nil
        return dx
    }
}
