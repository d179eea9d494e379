import Compute
import Determinism
import Foundation
import Imaging
import Models

/// SimCLR (Chen et al. 2020, arXiv 2002.05709): two strongly augmented views of each cell
/// (`ContrastiveAugmentation`) through the backbone and a projection head (two linear layers with a ReLU, to
/// `latent` outputs), L2-normalised; the NT-Xent loss at `temperature` pulls each image's two views together
/// and pushes the other images' views away. AdamW with a linear warm-up over the first 5 % of the steps, then
/// cosine decay. Clustering uses the backbone's pooled features, not the projection.
public struct SimCLR: SelfSupervisedObjective {
    public let name = "simclr"
    public let summary = "SimCLR: contrastive learning between two augmented views of each cell"

    public func spec(for settings: RunSettings) -> AutoencoderSpec { settings.autoencoderSpec(kind: .simclr) }

    public func makeModel(_ spec: AutoencoderSpec, seed: UInt64) -> any PretrainingModel { ContrastiveModel(spec, seed: seed) }

    public var lossName: String { "NT-Xent loss" }
}

extension AutoencoderKind {
    /// Not an autoencoder: SimCLR's backbone + projection head (`latent` outputs), trained contrastively.
    public static let simclr = AutoencoderKind(rawValue: "simclr")
}

/// SimCLR's network: the backbone (`encoder.*`) and the projection head (`projection.0`, `projection.2`).
public final class ContrastiveModel: PretrainingModel, @unchecked Sendable {
    public let spec: AutoencoderSpec
    public var isTraining = true
    public let encoder: any Backbone
    let pool = GlobalAveragePool()
    let hidden: Linear, output: Linear
    let relu = ActivationLayer(.relu)
    public let augmentation = ContrastiveAugmentation()

    public init(_ spec: AutoencoderSpec, seed: UInt64) {
        self.spec = spec
        encoder = spec.architecture.makeBackbone(seed: seed)
        let c = spec.architecture.featureChannels
        var rng = SeededGenerator(seed: seed &+ 3)
        hidden = Linear(c, c, rng: &rng)
        output = Linear(c, spec.latent, rng: &rng)
    }

    public var children: [(String, any Layer)] {
        [("encoder", encoder), ("pool", pool), ("projection.0", hidden), ("projection.1", relu), ("projection.2", output)]
    }

    public func summary(imageSize: Int) -> [ModelBlock] {
        [ModelBlock(name: "projection head (linear, ReLU, linear)", outputShape: [spec.latent], parameterPrefix: "projection.")]
    }

    public func forward(_ x: Tensor) throws -> Tensor { try output.forward(relu.forward(hidden.forward(pool.forward(encoder.trunk(x))))) }

    public func backward(_ dy: Tensor) throws -> Tensor {
        throw ComputeError("ContrastiveModel: use trainingStep(_:context:) for training")
    }

    public func trainingStep(_ batch: Tensor, context: StepContext) throws -> Float {
        let views = try self.views(of: batch, context: context)
        return try step(views: views, pairs: batch.shape[0], temperature: context.settings.temperature).loss
    }

    /// Forward and backward of `views` (`[2N, 3, S, S]`, first views then second views): the loss, and the
    /// seconds the forward pass with the loss took.
    func step(views: Tensor, pairs n: Int, temperature: Float) throws -> (loss: Float, forward: Double) {
        let t0 = monotonicSeconds()
        let projected = try forward(views)
        let d = projected.shape[1]
        let p = projected.toArray()
        let z = ContrastiveLosses.l2Normalize(p, rows: 2 * n, columns: d)
        let (loss, gz) = try ContrastiveLosses.ntXent(z, pairs: n, dimension: d, temperature: temperature)
        let forwardSeconds = monotonicSeconds() - t0
        let gp = ContrastiveLosses.l2NormalizeBackward(p, gradient: gz, rows: 2 * n, columns: d)
        let gh = try hidden.backward(relu.backward(output.backward(Tensor(shape: [2 * n, d], values: gp))))
        try encoder.backwardTrunkParameters(pool.backward(gh))
        return (loss, forwardSeconds)
    }

    /// Two augmented views of every image: rows `0..<N` the first views, `N..<2N` the second.
    func views(of batch: Tensor, context: StepContext) throws -> Tensor {
        try ContrastiveTraining.views(of: batch, augmentation: augmentation, context: context)
    }
}
