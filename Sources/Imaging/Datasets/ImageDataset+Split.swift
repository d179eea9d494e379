import Determinism

extension ImageDataset {
    /// Splits into train and validation keeping each class's share (stratified); unlabelled samples
    /// form their own stratum. Each stratum with at least 2 samples gives round(fraction × count) samples,
    /// at least 1, to validation. Seeded; within each part the original order is kept.
    public func stratifiedSplit(validationFraction: Double = 0.1, seed: UInt64) -> (train: ImageDataset, validation: ImageDataset) {
        var rng = SeededGenerator(seed: seed)
        var strata: [Int?: [Int]] = [:]
        for (i, s) in samples.enumerated() { strata[s.label, default: []].append(i) }
        var isValidation = [Bool](repeating: false, count: samples.count)
        let keys = strata.keys.sorted { ($0 ?? -1) < ($1 ?? -1) }
        for key in keys {
            var indices = strata[key] ?? []
            guard indices.count >= 2, validationFraction > 0 else { continue }
            rng.shuffle(&indices)
            let k = min(indices.count - 1, max(1, Int((validationFraction * Double(indices.count)).rounded())))
            for i in indices.prefix(k) { isValidation[i] = true }
        }
        var train = self
        var validation = self
        train.samples = samples.indices.filter { !isValidation[$0] }.map { samples[$0] }
        validation.samples = samples.indices.filter { isValidation[$0] }.map { samples[$0] }
        validation.skipped = SkipReport()
        return (train, validation)
    }
}
