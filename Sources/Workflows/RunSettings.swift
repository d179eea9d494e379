import Foundation
import Imaging
import Models

/// Which normalisation the images get before the network.
public enum NormalizationChoice: String, Sendable, Codable, CaseIterable {
    /// Per-channel mean 0.5 / std 0.5 → [-1, 1]: what the reference's code does (matches a Tanh decoder).
    case half
    /// ImageNet mean/std: required with ImageNet weights.
    case imagenet
    /// Per-pixel mean and std images over the training split: what the reference's text describes.
    case dataset
}

/// Every setting of a run, saved to `RUN/config.json`. One value type, so the whole run is reproducible
/// from this file and the seed.
public struct RunSettings: Sendable, Codable, Equatable {
    // Data
    public var data: String?
    public var test: String?
    public var size = 224
    public var crop: CropMode = .none
    /// Nucleus crop side as a multiple of the nucleus's extent.
    public var cropScale = 2.2
    public var normalization: NormalizationChoice = .half
    public var strict = false
    // Model
    public var backbone: ResNetDepth = .resnet50
    public var model: AutoencoderKind = .convAE
    public var weights: String?
    public var latent = 128
    public var beta: Float = 1
    // Pretraining (denoising autoencoder)
    public var pretrainEpochs = 10
    public var pretrainBatch = 32
    public var pretrainLearningRate: Float = 1e-3
    public var pretrainWeightDecay: Float = 1e-5
    public var noiseSigma: Float = 0.2
    /// Images per pretraining epoch (a seeded sample of the training set); nil = all.
    public var pretrainSamples: Int?
    public var augment = false
    // Clustering (DEC)
    public var k = 4
    public var clusterEpochs = 100
    public var clusterBatch = 32
    public var optimizer: DECOptimizer = .adadelta
    public var clusterLearningRate: Float?
    public var features: FeatureMode = .flat
    /// Dihedral views (1, 2, 4 or 8) the encoder's features are averaged over, making them independent of the
    /// cell's orientation on the slide (see `DihedralViews`); 1 = the reference's single view.
    public var views = 1
    public var updateInterval = 1
    public var tol: Double = 0.001
    public var alpha: Float = 1
    /// Images per clustering epoch (a seeded sample); nil = all.
    public var clusterSamples: Int?
    public var kmeansRestarts = 10
    /// Train the encoder during DEC (the paper and the reference do); false trains the centres only.
    public var trainEncoder = true
    /// Keep the encoder's batch-norm statistics at their pretrained values during DEC (γ and β still train).
    /// k-means initialises the centres on evaluation-mode features; batch statistics would shift the
    /// features away from them, which measurably hurt (see README). The reference leaves BN in training mode.
    public var freezeBatchNorm = true
    // Reproducibility and output
    public var seed: UInt64 = 0
    /// The training images the run's checkpoints were made from (paths, sizes, modification times; set by
    /// the run, not a flag): a resumed run must find the same ones.
    public var dataFingerprint: String?
    public var threads = 0
    public var plotEvery = 0

    public init() {}

    public var autoencoderSpec: AutoencoderSpec {
        var s = AutoencoderSpec()
        s.backbone = backbone
        s.kind = model
        s.imageSize = size
        s.latent = latent
        s.beta = beta
        return s
    }

    public var preprocessing: PreprocessOptions {
        var nucleus = NucleusCropOptions()
        nucleus.sideFactor = cropScale
        nucleus.minimumSideFraction = min(nucleus.minimumSideFraction, 0.35 * cropScale / 2.2)
        return PreprocessOptions(side: size, crop: crop, nucleus: nucleus)
    }

    /// The DEC learning rate: the given one, or the method's default for the optimizer.
    public var effectiveClusterLearningRate: Float { clusterLearningRate ?? optimizer.defaultLearningRate }

    /// Checks ranges; the message names the flag.
    public func validate() throws {
        func fail(_ m: String) -> WorkflowError { WorkflowError(m) }
        guard size >= 32 else { throw fail("--size must be at least 32 (got \(size))") }
        guard pretrainEpochs >= 0 else { throw fail("--epochs (pretraining) must not be negative") }
        guard clusterEpochs >= 0 else { throw fail("--epochs (clustering) must not be negative") }
        guard pretrainBatch >= 2, clusterBatch >= 2 else { throw fail("--batch must be at least 2 (batch norm needs two images)") }
        guard (pretrainSamples ?? 2) >= 2, (clusterSamples ?? 2) >= 2 else { throw fail("--samples must be at least 2") }
        guard pretrainLearningRate > 0, (clusterLearningRate ?? 1) > 0 else { throw fail("--lr must be positive") }
        guard k >= 1 else { throw fail("--k must be at least 1 (got \(k))") }
        guard DihedralViews.allowed.contains(views) else { throw fail("--views must be 1, 2, 4 or 8 (got \(views))") }
        guard updateInterval >= 1 else { throw fail("--update-interval must be at least 1") }
        guard tol >= 0, tol < 1 else { throw fail("--tol must be in [0, 1) (got \(tol))") }
        guard noiseSigma >= 0 else { throw fail("--noise must not be negative") }
        guard threads >= 0 else { throw fail("--threads must be 0 (all cores) or positive") }
    }
}

extension RunSettings {
    /// Decodes settings saved by any version: fields missing from `data` keep their defaults.
    public static func decodeLenient(_ data: Data) throws -> RunSettings {
        guard let saved = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              var merged = try JSONSerialization.jsonObject(with: JSONEncoder().encode(RunSettings())) as? [String: Any] else {
            throw WorkflowError("settings are not a JSON object")
        }
        for (k, v) in saved { merged[k] = v }
        return try JSONDecoder().decode(RunSettings.self, from: JSONSerialization.data(withJSONObject: merged))
    }

    /// The settings that shape pretraining: a resumed pretraining must use the same ones.
    var pretrainingFingerprint: [String] {
        [data ?? "", String(size), crop.rawValue, String(cropScale), normalization.rawValue, backbone.rawValue, model.rawValue, weights ?? "",
         String(latent), String(beta), String(pretrainBatch), String(pretrainLearningRate), String(pretrainWeightDecay),
         String(noiseSigma), String(pretrainSamples ?? -1), String(augment), String(seed)]
    }

    /// The settings that shape clustering: a resumed clustering must use the same ones.
    var clusteringFingerprint: [String] {
        pretrainingFingerprint + [String(k), String(clusterBatch), optimizer.rawValue, String(effectiveClusterLearningRate),
                                  features.rawValue, String(updateInterval), String(alpha), String(clusterSamples ?? -1),
                                  String(kmeansRestarts), String(trainEncoder), String(freezeBatchNorm), String(views)]
    }
}

/// The optimizer that trains the encoder and the cluster centres during DEC.
public enum DECOptimizer: String, Sendable, Codable, CaseIterable {
    /// Adadelta, lr 0.1: what the reference does.
    case adadelta
    /// SGD, lr 0.01, momentum 0.9: what the paper does.
    case sgd

    public var defaultLearningRate: Float { self == .adadelta ? 0.1 : 0.01 }
}

/// Named groups of settings for `wbc run --preset`.
public enum Preset: String, Sendable, CaseIterable {
    /// The reference's settings: 224², ResNet-50, 10 pretraining epochs, 100 clustering epochs, batch 32,
    /// flattened features, no crop. Slow on 2 cores.
    case seed
    /// The default: nucleus-centred crops at 64², ResNet-18, pooled features, DEC with the paper's SGD;
    /// sized to finish the Kaggle TRAIN (9,957) + TEST (2,487) splits within 20 minutes on 2 cores.
    case fast
    /// A small configuration for synthetic data and tests (ResNet-18 at 32², DEC with SGD).
    case tiny

    public var settings: RunSettings {
        var s = RunSettings()
        switch self {
        case .seed:
            break
        case .fast:
            // ResNet-18: the reference decoder's cost grows with the square of the encoder's width; from
            // ResNet-50's 2048 channels it costs ~15 GFLOP per 64² training image, 30× the encoder.
            s.backbone = .resnet18
            s.size = 64
            s.crop = .nucleus
            s.features = .pooled
            s.pretrainEpochs = 4
            s.pretrainSamples = 2_500
            s.pretrainBatch = 32
            s.clusterEpochs = 4
            s.clusterSamples = 2_500
            s.clusterBatch = 64
            s.updateInterval = 1
            s.augment = true
            s.optimizer = .sgd
            // Orientation-invariant features: on Kaggle TEST, k-means alone went from NMI 0.081 (1 view) to
            // 0.113 (4 views), and the whole run from ACC 0.405 / NMI 0.088 to 0.414 / 0.116 (README).
            s.views = 4
        case .tiny:
            s.size = 32
            s.backbone = .resnet18
            s.crop = .nucleus
            s.features = .pooled
            s.pretrainEpochs = 3
            s.pretrainBatch = 16
            s.clusterEpochs = 3
            s.clusterBatch = 32
            s.kmeansRestarts = 10
            s.optimizer = .sgd
            // Measured on synthetic sets (README, "Clustering quality"): Adam at the reference's lr 1e-3 moved the
            // random encoder, within 3 epochs of 256 images, to features on which k-means scored 0.63–0.90; at
            // 1e-4 it scored 0.93–1.0. The paper's DEC lr 0.01 pulled good starts down to 0.80–0.83; 0.001 did not.
            // Eight views make the features independent of the cell's orientation.
            s.pretrainLearningRate = 1e-4
            s.clusterLearningRate = 0.001
            s.views = 8
            // A tighter crop keeps fewer red cells around the leukocyte: on synthetic data it stopped
            // eosinophils splitting by background (accuracy 0.75 vs 0.67–0.74 at 2.2).
            s.cropScale = 1.4
        }
        return s
    }
}

/// A workflow failure with a message for the user (names the file, flag or stage, and what to do).
public struct WorkflowError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
