import Compute
import Imaging
import Models

/// How the encoder learns a representation without labels: what model is trained around the backbone and
/// what one training step computes. The pretraining stage owns everything else (data, epochs, the optimizer's
/// state, checkpoints, resumption), and the clustering stage takes the backbone (`encoder.*`) from the result.
///
/// A new objective is one new file: a type conforming to this protocol and its entry in
/// `PretrainingObjectives.all`. The run's `objective` setting names it.
public protocol PretrainingObjective: Sendable {
    /// The name the `objective` setting uses.
    var name: String { get }
    /// One line for help texts.
    var summary: String { get }
    /// The architecture saved with the checkpoints (the backbone and image size come from the settings).
    func spec(for settings: RunSettings) -> AutoencoderSpec
    /// The model to train, seeded (its backbone is `model.encoder`).
    func makeModel(_ spec: AutoencoderSpec, seed: UInt64) -> any PretrainingModel
    /// The optimizer (default: Adam with L2 weight decay, the reference's).
    func makeOptimizer(_ parameters: [Parameter], settings: RunSettings) -> any Optimizer
    /// The learning rate of step `step` of `totalSteps` (default: `pretrainLearningRate` throughout).
    func learningRate(_ settings: RunSettings, step: Int, totalSteps: Int) -> Float
    /// Whether a step's schedule depends on the run's length (so resuming with other epochs changes it).
    var schedulesOverTheRun: Bool { get }
    /// What the loss is, for log lines and the report's curve (default "loss").
    var lossName: String { get }
    /// Whether a lower loss means a better encoder across epochs (default true), so that the lowest-loss epoch is
    /// the one clustering uses; false keeps the last epoch (BYOL's loss chases a moving target).
    var lossComparesEpochs: Bool { get }
    /// Whether the model reconstructs its input through the reference's decoder, which ends in Tanh (default
    /// false): ImageNet-normalised targets outside [-1, 1] are then out of its reach, and the run says so.
    var reconstructsThroughTanh: Bool { get }
}

extension PretrainingObjective {
    public func makeOptimizer(_ parameters: [Parameter], settings: RunSettings) -> any Optimizer {
        Adam(parameters, lr: settings.pretrainLearningRate, weightDecay: settings.pretrainWeightDecay)
    }

    public func learningRate(_ settings: RunSettings, step: Int, totalSteps: Int) -> Float { settings.pretrainLearningRate }

    public var schedulesOverTheRun: Bool { false }

    public var lossName: String { "loss" }

    public var lossComparesEpochs: Bool { true }

    public var reconstructsThroughTanh: Bool { false }
}

/// A model that pretraining trains: a backbone under state-dict prefix `encoder.` and whatever the objective
/// adds around it.
public protocol PretrainingModel: Layer {
    var spec: AutoencoderSpec { get }
    var encoder: any Backbone { get }
    /// One training step on `batch` (normalised images `[N, 3, S, S]`): the loss, with the gradients
    /// accumulated into the parameters. `context` seeds any randomness of the step, so a resumed run repeats it.
    func trainingStep(_ batch: Tensor, context: StepContext) throws -> Float
    /// The blocks around the backbone, for the report's network table (shapes for one image).
    func summary(imageSize: Int) -> [ModelBlock]
}

/// A block of a pretraining model, as the report's network table lists it.
public struct ModelBlock: Sendable {
    public var name: String
    public var outputShape: [Int]
    /// The state-dict prefix whose parameters the block holds.
    public var parameterPrefix: String
}

/// What a training step may draw its randomness from.
public struct StepContext: Sendable {
    /// How the batch was normalised (to undo it for augmentations that work on pixel values).
    public var normalization: Normalization
    public var seed: UInt64
    public var epoch: Int
    public var step: Int
    public var settings: RunSettings
    /// The step's index over the whole training (`epoch × steps per epoch + step`) and the number of steps the
    /// training will take, for schedules (BYOL's target momentum).
    public var globalStep = 0
    public var totalSteps = 0
}

/// Every pretraining objective, by name.
public enum PretrainingObjectives {
    public static let all: [any PretrainingObjective] = [DenoisingAutoencoder(), VariationalAutoencoder(), SimCLR(), BYOL()]

    public static var names: [String] { all.map(\.name) }

    public static func named(_ name: String) -> (any PretrainingObjective)? { all.first { $0.name == name } }
}
