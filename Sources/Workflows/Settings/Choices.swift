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

/// The optimizer that trains the encoder and the cluster centres during DEC.
public enum DECOptimizer: String, Sendable, Codable, CaseIterable {
    /// Adadelta, lr 0.1: what the reference does.
    case adadelta
    /// SGD, lr 0.01, momentum 0.9: what the paper does.
    case sgd

    public var defaultLearningRate: Float { self == .adadelta ? 0.1 : 0.01 }
}
