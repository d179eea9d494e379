import Workflows

/// The values help texts quote, read from the presets themselves so that the texts cannot fall behind them.
enum PresetValues {
    static let fast = Preset.fast.settings
    static let seed = Preset.seed.settings
    static let autoencoder = Preset.autoencoder.settings
    /// The settings no preset changes.
    static let base = RunSettings()

    /// "2500", or "all" for no sample.
    static func samples(_ n: Int?) -> String { n.map(String.init) ?? "all" }
}
