import ArgumentParser
import Workflows

/// SCAN's flags, shared by `cluster` and `run`.
struct SCANOptions: ParsableArguments {
    @Option(help: "SCAN: nearest neighbours mined per image (default \(PresetValues.base.neighbours)).") var neighbours: Int?
    @Option(help: "SCAN: weight of the entropy term that keeps clusters from collapsing (default \(PresetValues.base.entropyWeight)).")
    var entropyWeight: Float?
    @Option(
        help:
            "SCAN: self-labelling epochs after the heads, which train the head (and the encoder, unless --self-label-encoder frozen) on confident pseudo-labels (default \(PresetValues.base.selfLabelEpochs) = none)."
    )
    var selfLabelEpochs: Int?
    @Option(help: "SCAN: the head's probability that makes an image's cluster a pseudo-label (default \(PresetValues.base.selfLabelConfidence)).")
    var selfLabelConfidence: Float?
    @Option(
        help:
            "SCAN: what self-labelling trains besides the head: train (the encoder too) or frozen (the head alone, on the frozen features of the strong views; needed with --imagenet-features) (default \(PresetValues.base.selfLabelEncoder.rawValue))."
    )
    var selfLabelEncoder: SelfLabelEncoder?

    /// Sets the overrides these flags give.
    func apply(to o: inout SettingsOverrides) {
        o.neighbours = neighbours
        o.entropyWeight = entropyWeight
        o.selfLabelEpochs = selfLabelEpochs
        o.selfLabelConfidence = selfLabelConfidence
        o.selfLabelEncoder = selfLabelEncoder
    }
}
