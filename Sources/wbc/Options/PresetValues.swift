import Workflows

/// The values help texts quote, read from the presets themselves so that the texts cannot fall behind them.
enum PresetValues {
    static let fast = Preset.fast.settings
    static let seed = Preset.seed.settings
    static let autoencoder = Preset.autoencoder.settings
    /// The settings no preset changes.
    static let base = RunSettings()

    /// A setting's value in the presets that differ in it: "fast: 60; autoencoder: 4; seed: 100".
    static func byPreset(_ setting: KeyPath<RunSettings, Int>) -> String {
        "fast: \(fast[keyPath: setting]); autoencoder: \(autoencoder[keyPath: setting]); seed: \(seed[keyPath: setting])"
    }

    /// The help of the clustering stage's epochs, which `wbc run` and `wbc cluster` both take.
    static let clusterEpochsHelp =
        "Clustering epochs of dec and scan; a scan epoch has at least 32 batches, passing over a small set again (\(byPreset(\.clusterEpochs)))."

    /// "2500", or "all" for no sample.
    static func samples(_ n: Int?) -> String { n.map(String.init) ?? "all" }
}
