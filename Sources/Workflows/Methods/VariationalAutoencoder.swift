import Models

/// A variational autoencoder: μ and log σ² heads on the pooled code, the reparameterisation trick, KL weighted
/// by β; trained on noisy inputs like `DenoisingAutoencoder`. Clustering uses the trunk's features, not μ.
public struct VariationalAutoencoder: PretrainingObjective {
    public let name = "vae"
    public let summary = "variational autoencoder (β-weighted KL on a latent code)"
    public let lossName = "reconstruction loss + β·KL"

    public func spec(for settings: RunSettings) -> AutoencoderSpec { settings.autoencoderSpec(kind: .vae) }

    public func makeModel(_ spec: AutoencoderSpec, seed: UInt64) -> any PretrainingModel { Autoencoder(spec, seed: seed) }

    public var reconstructsThroughTanh: Bool { true }
}
