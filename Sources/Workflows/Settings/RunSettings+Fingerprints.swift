import Foundation

extension RunSettings {
    /// Decodes settings saved by any version: fields missing from `data` keep their defaults.
    public static func decodeLenient(_ data: Data) throws -> RunSettings {
        guard let saved = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            var merged = try JSONSerialization.jsonObject(with: JSONEncoder().encode(RunSettings())) as? [String: Any]
        else {
            throw WorkflowError("the settings are not a JSON object")
        }
        for (k, v) in saved { merged[k] = v }
        // Before the extension points, the pretraining objective was saved as "model".
        if saved["objective"] == nil, let model = saved["model"] { merged["objective"] = model }
        merged["model"] = nil
        return try JSONDecoder().decode(RunSettings.self, from: JSONSerialization.data(withJSONObject: merged))
    }

    /// The settings that shape pretraining: a resumed pretraining must use the same ones.
    var pretrainingFingerprint: [String] {
        [
            data ?? "", String(size), crop.rawValue, String(cropScale), String(cropSide ?? 0), normalization.rawValue, backbone.rawValue, objective,
            weights ?? "",
            String(latent), String(beta), String(pretrainBatch), String(pretrainLearningRate), String(pretrainedLearningRateScale), String(pretrainWeightDecay),
            String(noiseSigma), String(temperature), String(pretrainSamples ?? -1), String(augment), String(seed),
        ]
    }

    /// The settings that shape clustering: a resumed clustering must use the same ones.
    var clusteringFingerprint: [String] {
        pretrainingFingerprint + [
            method, String(k), (kRange ?? []).map(String.init).joined(separator: "-"), String(clusterBatch), optimizer.rawValue,
            String(effectiveClusterLearningRate),
            features.rawValue, String(unitFeatures), String(updateInterval), String(alpha), String(clusterSamples ?? -1),
            String(kmeansRestarts), String(neighbours), String(entropyWeight), String(scanHeads), String(trainEncoder),
            String(freezeBatchNorm), String(views), imagenetFeatures ?? "",
        ]
    }
}

/// A setting whose value differs between a run's checkpoints and a new command.
public struct SettingDifference: Sendable, Equatable {
    public var setting: Setting
    public var saved: String
    public var requested: String
}

extension RunSettings {
    /// The settings, among those that shape the model and its data, that differ from `o`, empty when a run
    /// directory made with `self` can be resumed with `o`. (The stages check the rest, e.g. k and the learning
    /// rates, against their own checkpoints.)
    func modelDifferences(from o: RunSettings) -> [SettingDifference] {
        var out: [SettingDifference] = []
        func check(_ setting: Setting, _ a: String, _ b: String) { if a != b { out.append(.init(setting: setting, saved: a, requested: b)) } }
        check(.data, data ?? "none", o.data ?? "none")
        check(.size, String(size), String(o.size))
        check(.crop, crop.rawValue, o.crop.rawValue)
        check(.normalization, normalization.rawValue, o.normalization.rawValue)
        check(.backbone, backbone.rawValue, o.backbone.rawValue)
        check(.objective, objective, o.objective)
        check(.features, features.rawValue, o.features.rawValue)
        check(.seed, String(seed), String(o.seed))
        return out
    }
}
