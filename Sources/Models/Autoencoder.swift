import Compute

/// Which autoencoder the pretraining stage trains.
public enum AutoencoderKind: String, Sendable, Codable, CaseIterable {
    /// The reference: ResNet trunk → residual transposed-conv decoder, denoising MSE.
    case convAE = "conv-ae"
    /// Variational: μ and log σ² heads on the pooled code, reparameterisation, KL weighted by β.
    /// Clustering uses the encoder's trunk features (as for `convAE`), not μ.
    case vae
}

/// How the encoder's output becomes the feature vector that k-means and DEC see.
public enum FeatureMode: String, Sendable, Codable, CaseIterable {
    /// Global average pool of the trunk: `[N, C]` (2048 for ResNet-50).
    case pooled
    /// The whole trunk map flattened: `[N, C·h·w]` (100,352 at 224² for ResNet-50), as the reference does.
    case flat
}

/// The architecture of an autoencoder, saved with its weights so a checkpoint names what it holds.
public struct AutoencoderSpec: Sendable, Codable, Equatable {
    public var backbone: ResNetDepth = .resnet50
    public var kind: AutoencoderKind = .convAE
    /// Input side in pixels (square).
    public var imageSize = 224
    /// VAE latent size.
    public var latent = 128
    /// VAE KL weight β.
    public var beta: Float = 1
    public init() {}

    /// Spatial size of the trunk's output map.
    public var trunkSide: Int {
        // conv1 (stride 2) then maxpool (stride 2) then three stride-2 stages.
        var s = imageSize
        s = (s + 2 * 3 - 7) / 2 + 1
        s = (s + 2 - 3) / 2 + 1
        for _ in 0..<3 { s = (s + 2 - 3) / 2 + 1 }
        return s
    }

    public func featureDimension(_ mode: FeatureMode) -> Int {
        mode == .pooled ? backbone.featureChannels : backbone.featureChannels * trunkSide * trunkSide
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
    public let encoder: ResNet
    public let decoder: ReferenceDecoder
    let gap = GlobalAveragePool()
    let mu: Linear?, logVar: Linear?, expand: Linear?
    let expandReLU = ActivationLayer(.relu)
    private var vaeSaved: (mu: [Float], logVar: [Float], eps: [Float], trunkShape: [Int])?
    /// What the last `features` call computed, for `backwardFeatures`.
    private struct FeaturePass { var mode: FeatureMode; var views: Int; var n: Int; var map: [Int] }
    private var featurePass: FeaturePass?

    public init(_ spec: AutoencoderSpec, seed: UInt64 = 0) {
        self.spec = spec
        encoder = ResNet(spec.backbone, classes: nil, seed: seed)
        let c = spec.backbone.featureChannels
        decoder = ReferenceDecoder(inChannels: c, outputSize: (spec.imageSize, spec.imageSize), seed: seed &+ 1)
        var r = SeededGenerator(seed: seed &+ 2)
        if spec.kind == .vae {
            mu = Linear(c, spec.latent, rng: &r)
            logVar = Linear(c, spec.latent, rng: &r)
            expand = Linear(spec.latent, c, rng: &r)
        } else {
            mu = nil; logVar = nil; expand = nil
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
        let m = try mu.forward(pooled), lv = try logVar.forward(pooled)
        let (n, l) = (m.shape[0], m.shape[1])
        let mv = m.toArray(), lvv = lv.toArray()
        var eps = [Float](repeating: 0, count: n * l)
        var z = mv
        if isTraining {
            var rng = SeededGenerator(seed: samplingSeed)
            for i in eps.indices { eps[i] = rng.nextGaussian(); z[i] = mv[i] + eps[i] * expf(0.5 * lvv[i]) }
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
            for i in 0..<(n * c) { var acc: Float = 0; for j in 0..<hw { acc += dyv[i * hw + j] }; dh[i] = acc }
            let dz = try expand.backward(expandReLU.backward(Tensor(shape: [n, c], values: dh))).toArray()
            let l = spec.latent
            var dmu = [Float](repeating: 0, count: n * l), dlv = dmu
            let beta = spec.beta, invN = 1 / Float(n)
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

    // MARK: Features for clustering

    /// Encoder features `[N, D]` in the current mode (training mode keeps what `backwardFeatures` needs).
    ///
    /// With `views` > 1 the batch is run once as `views`·N images (see `DihedralViews`) and each image's
    /// features are the mean of its views' features, which does not depend on how the cell was turned.
    public func features(_ x: Tensor, mode: FeatureMode, views: Int = 1) throws -> Tensor {
        let n = x.shape[0]
        let map = try encoder.trunk(DihedralViews.stack(x, views: views))
        let all: Tensor
        switch mode {
        case .pooled:
            all = try gap.forward(map)
        case .flat:
            all = try map.plain().reshaped([map.shape[0], map.count / map.shape[0]])
        }
        featurePass = FeaturePass(mode: mode, views: views, n: n, map: map.shape)
        guard views > 1 else { return all }
        return try Tensor(shape: [n, all.shape[1]], values: DihedralViews.average(all.toArray(), views: views))
    }

    /// Backpropagates a gradient of the last `features` call's output into the encoder's parameters.
    public func backwardFeatures(_ dFeatures: Tensor, mode: FeatureMode) throws {
        guard let pass = featurePass, pass.mode == mode, dFeatures.shape.first == pass.n else {
            throw ComputeError("backwardFeatures(\(mode), \(dFeatures.shape)) does not follow a features() call with that mode and batch")
        }
        var d = dFeatures
        if pass.views > 1 {
            d = try Tensor(shape: [pass.views * pass.n, dFeatures.shape[1]], values: DihedralViews.averageBackward(dFeatures.toArray(), views: pass.views))
        }
        switch mode {
        case .pooled:
            try encoder.backwardTrunkParameters(gap.backward(d))
        case .flat:
            try encoder.backwardTrunkParameters(d.reshaped(pass.map))
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
