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

extension NormalizationChoice {
    /// The normalisation this choice names; `dataset` computes (or reads) its statistics with `statistics`,
    /// which returns nil when there is nothing to compute them from.
    public func normalization(statistics: () throws -> Normalization?) throws -> Normalization? {
        switch self {
        case .half: return .half
        case .imagenet: return .imagenet
        case .dataset: return try statistics()
        }
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

/// What SCAN's self-labelling trains besides the cluster head.
public enum SelfLabelEncoder: String, Sendable, Codable, CaseIterable {
    /// The encoder too, through the strong views (the SCAN paper's third step).
    case train
    /// Nothing else: the encoder (and a joined ImageNet backbone) stays as pretrained, and the head learns from the
    /// strong views' evaluation-mode features. Pseudo-labels come from the features the heads were trained on.
    case frozen
}
