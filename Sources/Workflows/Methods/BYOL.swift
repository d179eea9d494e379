import Compute
import Determinism
import Foundation
import Imaging
import Models

/// BYOL (Grill et al. 2020, arXiv 2006.07733): two augmented views of each cell (`ContrastiveAugmentation`);
/// the online network (backbone, projector, predictor) predicts the target network's projection of the other
/// view, with no negative pairs, so it needs no large batch. The target (backbone and projector) is a moving
/// average of the online network, its momentum rising from 0.99 to 1 on a cosine. AdamW with SimCLR's
/// warm-up and cosine decay. Clustering uses the online backbone's pooled features.
public struct BYOL: SelfSupervisedObjective {
    public let name = "byol"
    public let summary = "BYOL: predict a slowly moving target network's view of each cell, no negatives"

    /// The target's momentum at the first step (BYOL's 0.996 is for runs of hundreds of epochs; shorter runs
    /// need the target to follow faster).
    public static let baseMomentum: Float = 0.99

    public func spec(for settings: RunSettings) -> AutoencoderSpec { settings.autoencoderSpec(kind: .byol) }

    public func makeModel(_ spec: AutoencoderSpec, seed: UInt64) -> any PretrainingModel { BYOLModel(spec, seed: seed) }

    public var lossName: String { "BYOL loss (2 − 2 cos, both views)" }

    public var lossComparesEpochs: Bool { false }
}

extension AutoencoderKind {
    /// Not an autoencoder: BYOL's online and target networks.
    public static let byol = AutoencoderKind(rawValue: "byol")
}

/// BYOL's networks. Online: the backbone (`encoder.*`), a projector (`projection.*`: linear, batch norm, ReLU,
/// linear to `latent`) and a predictor (`prediction.*`, the same shape). Target: a copy of backbone and
/// projector under `target.*`, stored as buffers, so the optimizer never sees it and checkpoints keep it.
public final class BYOLModel: PretrainingModel, @unchecked Sendable {
    public let spec: AutoencoderSpec
    public var isTraining = true
    public let encoder: any Backbone
    let pool = GlobalAveragePool()
    let projection: Sequential, prediction: Sequential
    let target: MovingAverageTarget
    public let augmentation = ContrastiveAugmentation()

    public init(_ spec: AutoencoderSpec, seed: UInt64) {
        self.spec = spec
        encoder = spec.architecture.makeBackbone(seed: seed)
        let c = spec.architecture.featureChannels
        let hidden = 2 * c
        var rng = SeededGenerator(seed: seed &+ 3)
        projection = Self.mlp(c, hidden, spec.latent, rng: &rng)
        prediction = Self.mlp(spec.latent, hidden, spec.latent, rng: &rng)
        // The target starts as the online network; the first step copies the online weights again, so imported
        // (`--weights`) ones reach it too.
        var targetRng = SeededGenerator(seed: seed &+ 3)
        target = MovingAverageTarget(
            encoder: spec.architecture.makeBackbone(seed: seed), projection: Self.mlp(c, hidden, spec.latent, rng: &targetRng))
    }

    static func mlp(_ input: Int, _ hidden: Int, _ output: Int, rng: inout SeededGenerator) -> Sequential {
        Sequential([Linear(input, hidden, rng: &rng), BatchNorm1d(hidden), ActivationLayer(.relu), Linear(hidden, output, rng: &rng)])
    }

    public var children: [(String, any Layer)] {
        [("encoder", encoder), ("pool", pool), ("projection", projection), ("prediction", prediction), ("target", target)]
    }

    public func summary(imageSize: Int) -> [ModelBlock] {
        [
            ModelBlock(name: "projector (linear, batch norm, ReLU, linear)", outputShape: [spec.latent], parameterPrefix: "projection."),
            ModelBlock(name: "predictor (linear, batch norm, ReLU, linear)", outputShape: [spec.latent], parameterPrefix: "prediction."),
        ]
    }

    /// The online network's predictions.
    public func forward(_ x: Tensor) throws -> Tensor { try prediction.forward(projection.forward(pool.forward(encoder.trunk(x)))) }

    public func backward(_ dy: Tensor) throws -> Tensor {
        throw ComputeError("BYOLModel: use trainingStep(_:context:) for training")
    }

    /// The online parameters the target follows, named as the target names its own.
    var followed: [(String, Parameter)] { encoder.namedParameters(prefix: "encoder.") + projection.namedParameters(prefix: "projection.") }

    public func trainingStep(_ batch: Tensor, context: StepContext) throws -> Float {
        // Before each step the target moves toward the online network as the previous step left it.
        let momentum = context.globalStep == 0 ? 0 : MovingAverage.momentum(base: BYOL.baseMomentum, step: context.globalStep, totalSteps: context.totalSteps)
        try target.follow(followed, momentum: momentum)
        let views = try ContrastiveTraining.views(of: batch, augmentation: augmentation, context: context)
        let n = batch.shape[0]
        let predicted = try forward(views)
        let targets = try target.forward(views)
        let d = predicted.shape[1]
        let (loss, gp) = try ContrastiveLosses.byol(predictions: predicted.toArray(), targets: targets.toArray(), pairs: n, dimension: d)
        let gh = try projection.backward(prediction.backward(Tensor(shape: [2 * n, d], values: gp)))
        try encoder.backwardTrunkParameters(pool.backward(gh))
        return loss
    }
}

/// BYOL's target network: a backbone and projector that training never differentiates. It lists no children
/// and no parameters, only buffers (its weights and batch-norm statistics), so the optimizer leaves it alone
/// while checkpoints save and restore it. A load writes the weights without marking them updated (and its batch
/// norms' step counters are not saved, since they are never used): harmless, because every step begins with
/// `follow`, which assigns, and so marks, every weight before the target runs.
final class MovingAverageTarget: Layer, @unchecked Sendable {
    let encoder: any Backbone
    let pool = GlobalAveragePool()
    let projection: Sequential
    var isTraining = true

    init(encoder: any Backbone, projection: Sequential) {
        self.encoder = encoder
        self.projection = projection
    }

    var weights: [(String, Parameter)] { encoder.namedParameters(prefix: "encoder.") + projection.namedParameters(prefix: "projection.") }

    var ownBuffers: [(String, Tensor)] {
        weights.map { ($0.0, $0.1.value) } + encoder.namedBuffers(prefix: "encoder.") + projection.namedBuffers(prefix: "projection.")
    }

    /// The projection of `x`, in training mode (batch statistics, as BYOL's target uses).
    func forward(_ x: Tensor) throws -> Tensor {
        encoder.setTraining(true)
        projection.setTraining(true)
        return try projection.forward(pool.forward(encoder.trunk(x)))
    }

    func backward(_ dy: Tensor) throws -> Tensor { throw ComputeError("BYOL's target network is not trained by gradients") }

    /// Moves every weight toward the online network's weight of the same name.
    func follow(_ online: [(String, Parameter)], momentum: Float) throws {
        let mine = Dictionary(uniqueKeysWithValues: weights)
        var targets: [Parameter] = []
        for (name, _) in online {
            guard let t = mine[name] else { throw ComputeError("BYOL: the target network has no '\(name)'") }
            targets.append(t)
        }
        try MovingAverage.update(target: targets, online: online.map(\.1), momentum: momentum)
    }
}
