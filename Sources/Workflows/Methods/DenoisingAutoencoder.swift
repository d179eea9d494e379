import Compute
import Determinism
import Imaging
import Models

/// The reference's objective: a denoising autoencoder. Input plus N(0, σ²) noise (`noiseSigma`), target the
/// clean image, MSE; the ResNet trunk is the encoder, a residual transposed-convolution decoder reconstructs.
public struct DenoisingAutoencoder: PretrainingObjective {
    public let name = "conv-ae"
    public let summary = "denoising autoencoder (the reference's objective)"

    public func spec(for settings: RunSettings) -> AutoencoderSpec { settings.autoencoderSpec(kind: .convAE) }

    public func makeModel(_ spec: AutoencoderSpec, seed: UInt64) -> any PretrainingModel { Autoencoder(spec, seed: seed) }
}

/// A variational autoencoder: μ and log σ² heads on the pooled code, the reparameterisation trick, KL weighted
/// by β; trained on noisy inputs like `DenoisingAutoencoder`. Clustering uses the trunk's features, not μ.
public struct VariationalAutoencoder: PretrainingObjective {
    public let name = "vae"
    public let summary = "variational autoencoder (β-weighted KL on a latent code)"

    public func spec(for settings: RunSettings) -> AutoencoderSpec { settings.autoencoderSpec(kind: .vae) }

    public func makeModel(_ spec: AutoencoderSpec, seed: UInt64) -> any PretrainingModel { Autoencoder(spec, seed: seed) }
}

extension Autoencoder: PretrainingModel {
    /// Noise with σ `noiseSigma` (seeded by the epoch and step), then reconstruction of the clean batch.
    public func trainingStep(_ clean: Tensor, context: StepContext) throws -> Float {
        var noisyValues = clean.toArray()
        let stream = UInt64(context.epoch) << 32 | UInt64(context.step)
        var rng = SeededGenerator.derived(seed: context.seed ^ 0x5EED_0015E, stream: stream)
        Augmentation.addNoise(to: &noisyValues, sigma: context.settings.noiseSigma, rng: &rng)
        let noisy = try Tensor(shape: clean.shape, values: noisyValues)
        var sampling = SeededGenerator.derived(seed: context.seed ^ 0x0DAE_5A3B, stream: stream)
        return try reconstructionStep(noisy: noisy, clean: clean, samplingSeed: sampling.next()).total
    }
}
