import Compute
import Determinism
import Imaging
import Models

/// The reference's objective: a denoising autoencoder. Input plus N(0, σ²) noise (`noiseSigma`), target the
/// clean image, MSE; the ResNet trunk is the encoder, a residual transposed-convolution decoder reconstructs.
public struct DenoisingAutoencoder: PretrainingObjective {
    public let name = "conv-ae"
    public let summary = "denoising autoencoder (the reference's objective)"
    public let lossName = "reconstruction loss (MSE)"

    public func spec(for settings: RunSettings) -> AutoencoderSpec { settings.autoencoderSpec(kind: .convAE) }

    public func makeModel(_ spec: AutoencoderSpec, seed: UInt64) -> any PretrainingModel { Autoencoder(spec, seed: seed) }

    public var reconstructsThroughTanh: Bool { true }
}

extension Autoencoder: PretrainingModel {
    /// The VAE's heads, then the decoder's five upsampling blocks, head and final resize.
    public func summary(imageSize: Int) -> [ModelBlock] {
        var side = spec.trunkSide
        var channels = spec.architecture.featureChannels
        var rows: [ModelBlock] = []
        if spec.kind == .vae { rows.append(ModelBlock(name: "vae heads (μ, log σ², expand)", outputShape: [spec.latent], parameterPrefix: "vae_")) }
        for b in 1...5 {
            side *= 2
            channels /= 2
            rows.append(ModelBlock(name: "decoder.block\(b)", outputShape: [channels, side, side], parameterPrefix: "decoder.block\(b)."))
        }
        rows.append(ModelBlock(name: "decoder.head + tanh", outputShape: [3, side * 2, side * 2], parameterPrefix: "decoder.head."))
        rows.append(ModelBlock(name: "decoder.resize", outputShape: [3, imageSize, imageSize], parameterPrefix: "decoder.resize."))
        return rows
    }

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
