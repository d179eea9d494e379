/// A run setting that a message can refer to. Workflows name settings, never command-line flags: the CLI
/// turns each into the flag of the command at hand (`--epochs` on `wbc pretrain` is `--pretrain-epochs` on
/// `wbc run`), and other front ends (tests, a server) into their own words.
public enum Setting: String, Sendable, CaseIterable {
    case data, test, run, preset, size, crop, cropScale, cropSide, normalization, strict, maxMegapixels
    case backbone, objective, weights, latent, beta
    case pretrainEpochs, pretrainBatch, pretrainLearningRate, pretrainedLearningRateScale, pretrainSamples, noiseSigma, temperature
    case method, k, clusterEpochs, clusterBatch, optimizer, clusterLearningRate, features, unitFeatures, views, imagenetFeatures
    case updateInterval, tol, clusterSamples, neighbours, entropyWeight, scanHeads, selfLabelEpochs, selfLabelConfidence, selfLabelEncoder
    case seed, threads, plotEvery, perClass, samples
    case benchMode, benchModel, batch, repeats

    /// The words used when no front end renames it (tests, library callers): "the setting `k`".
    public var plainName: String { "the setting `\(rawValue)`" }
}
