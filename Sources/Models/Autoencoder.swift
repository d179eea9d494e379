import Compute
import Determinism

/// Which model a pretraining objective trains around the backbone, as saved in checkpoints (`"conv-ae"`). An open
/// set: an objective defined elsewhere names its own (`extension AutoencoderKind { static let simclr = … }`).
public struct AutoencoderKind: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The reference: ResNet trunk → residual transposed-conv decoder, denoising MSE.
    public static let convAE = AutoencoderKind(rawValue: "conv-ae")
    /// Variational: μ and log σ² heads on the pooled code, reparameterisation, KL weighted by β.
    /// Clustering uses the encoder's trunk features (as for `convAE`), not μ.
    public static let vae = AutoencoderKind(rawValue: "vae")

    public var description: String { rawValue }
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// The architecture of an autoencoder, saved with its weights so a checkpoint names what it holds.
public struct AutoencoderSpec: Sendable, Codable, Equatable {
    public var backbone: BackboneID = .resnet50
    public var kind: AutoencoderKind = .convAE
    /// Input side in pixels (square).
    public var imageSize = 224
    /// VAE latent size.
    public var latent = 128
    /// VAE KL weight β.
    public var beta: Float = 1
    public init() {}

    /// The backbone's architecture. A spec read from a file is checked first (`Backbones.named`), so an
    /// unknown name never reaches here.
    public var architecture: any BackboneArchitecture {
        guard let a = backbone.architecture else { preconditionFailure("unknown backbone '\(backbone)'; check specs read from files") }
        return a
    }

    /// Spatial size of the trunk's output map.
    public var trunkSide: Int { architecture.trunkSide(imageSize: imageSize) }

    public func featureDimension(_ mode: FeatureMode) -> Int {
        FeatureExtractor.dimension(mode, channels: architecture.featureChannels, trunkSide: trunkSide)
    }
}

/// Losses of one pretraining step.
public struct ReconstructionLoss: Sendable {
    public var total: Float
    public var reconstruction: Float
    public var kl: Float
}

/// ResNet encoder + reference decoder (optionally variational). State-dict names: `encoder.*` (torchvision
/// names under the prefix), `decoder.*`, and for the VAE `vae_mu.*`, `vae_logvar.*`, `vae_expand.*`.
public final class Autoencoder: Layer, @unchecked Sendable {
    public let spec: AutoencoderSpec
    public var isTraining = true
    public let encoder: any Backbone
    public let decoder: ReferenceDecoder
    let gap = GlobalAveragePool()
    let mu: Linear?, logVar: Linear?, expand: Linear?
    let expandReLU = ActivationLayer(.relu)
    private var vaeSaved: (mu: [Float], logVar: [Float], eps: [Float], trunkShape: [Int])?

    public init(_ spec: AutoencoderSpec, seed: UInt64 = 0) {
        self.spec = spec
        encoder = spec.architecture.makeBackbone(seed: seed)
        let c = spec.architecture.featureChannels
        decoder = ReferenceDecoder(inChannels: c, outputSize: (spec.imageSize, spec.imageSize), seed: seed &+ 1)
        var r = SeededGenerator(seed: seed &+ 2)
        if spec.kind == .vae {
            mu = Linear(c, spec.latent, rng: &r)
            logVar = Linear(c, spec.latent, rng: &r)
            expand = Linear(spec.latent, c, rng: &r)
        } else {
            mu = nil
            logVar = nil
            expand = nil
        }
    }

    public var children: [(String, any Layer)] {
        var c: [(String, any Layer)] = [("encoder", encoder), ("decoder", decoder), ("gap", gap)]
        if let mu, let logVar, let expand {
            c += [("vae_mu", mu), ("vae_logvar", logVar), ("vae_expand", expand), ("vae_relu", expandReLU)]
        }
        return c
    }

    public func forward(_ x: Tensor) throws -> Tensor { try reconstruct(x) }

    /// Reconstruction of `x` (`[N, 3, S, S]` → same shape).
    public func reconstruct(_ x: Tensor, samplingSeed: UInt64 = 0) throws -> Tensor {
        let map = try encoder.trunk(x)
        guard spec.kind == .vae, let mu, let logVar, let expand else { return try decoder.forward(map) }
        let pooled = try gap.forward(map)
        let m = try mu.forward(pooled)
        let lv = try logVar.forward(pooled)
        let (n, l) = (m.shape[0], m.shape[1])
        let mv = m.toArray()
        let lvv = lv.toArray()
        var eps = [Float](repeating: 0, count: n * l)
        var z = mv
        if isTraining {
            var rng = SeededGenerator(seed: samplingSeed)
            for i in eps.indices {
                eps[i] = rng.nextGaussian()
                z[i] = mv[i] + eps[i] * expf(0.5 * lvv[i])
            }
        }
        vaeSaved = (mv, lvv, eps, map.shape)
        let h = try expandReLU.forward(expand.forward(Tensor(shape: [n, l], values: z)))
        let c = map.shape[1]
        // Broadcast the code over the trunk's spatial grid (a 1×1 map resized up).
        let grid = try Functional.resize(h.reshaped([n, c, 1, 1]), height: map.shape[2], width: map.shape[3])
        return try decoder.forward(grid)
    }

    /// One denoising step's loss and gradients (accumulated into the parameters): reconstruct `noisy`,
    /// compare with `clean` by MSE (plus β·KL for the VAE, averaged over the batch).
    /// `samplingSeed` fixes the VAE's reparameterisation noise for this step (so resumed runs reproduce).
    public func reconstructionStep(noisy: Tensor, clean: Tensor, samplingSeed: UInt64 = 0) throws -> ReconstructionLoss {
        let y = try reconstruct(noisy, samplingSeed: samplingSeed)
        let mse = try Loss.mse(y, clean)
        let dMap: Tensor
        var klValue: Float = 0
        let dy = try decoder.backward(mse.gradient)
        if spec.kind == .vae, let mu, let logVar, let expand, let s = vaeSaved {
            let (n, c) = (s.trunkShape[0], s.trunkShape[1])
            // d grid → d h: the 1×1 → h×w bilinear resize is a broadcast, so its backward sums over the grid.
            let dyv = dy.toArray()
            let hw = s.trunkShape[2] * s.trunkShape[3]
            var dh = [Float](repeating: 0, count: n * c)
            for i in 0..<(n * c) {
                var acc: Float = 0
                for j in 0..<hw { acc += dyv[i * hw + j] }
                dh[i] = acc
            }
            let dz = try expand.backward(expandReLU.backward(Tensor(shape: [n, c], values: dh))).toArray()
            let l = spec.latent
            var dmu = [Float](repeating: 0, count: n * l)
            var dlv = dmu
            let beta = spec.beta
            let invN = 1 / Float(n)
            var kl: Float = 0
            for i in 0..<(n * l) {
                let v = expf(s.logVar[i])
                kl += -0.5 * (1 + s.logVar[i] - s.mu[i] * s.mu[i] - v)
                dmu[i] = dz[i] + beta * invN * s.mu[i]
                dlv[i] = dz[i] * s.eps[i] * 0.5 * expf(0.5 * s.logVar[i]) + beta * invN * 0.5 * (v - 1)
            }
            klValue = kl * invN
            let dPooled1 = try mu.backward(Tensor(shape: [n, l], values: dmu))
            let dPooled2 = try logVar.backward(Tensor(shape: [n, l], values: dlv))
            dMap = try gap.backward(Functional.add(dPooled1, dPooled2))
        } else {
            dMap = dy
        }
        try encoder.backwardTrunkParameters(dMap)
        let total = mse.value + spec.beta * klValue
        guard total.isFinite else { throw ComputeError("pretraining loss is \(total): training diverged; lower the learning rate") }
        return ReconstructionLoss(total: total, reconstruction: mse.value, kl: klValue)
    }

    public func backward(_ dy: Tensor) throws -> Tensor {
        throw ComputeError("Autoencoder: use reconstructionStep(noisy:clean:) for training")
    }
}

#if canImport(Glibc)
    import Glibc
#endif
