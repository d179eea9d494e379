extension ImageLoader {
    /// The `.dataset(mean:std:)` normalisation of this loader's images: per-pixel mean and std images
    /// `[3, S, S]` of the preprocessed values in [0, 1], without augmentation. Call it on the
    /// training split's loader only. Skipped files are left out (or thrown when `strict`);
    /// `nil` when no image could be read.
    public func datasetNormalization(stdFloor: Float = 0.01) throws(ImageLoadError) -> Normalization? {
        let values = 3 * preprocessing.side * preprocessing.side
        var plain = self
        plain.augmentation = nil
        plain.normalization = .dataset(mean: [Float](repeating: 0, count: values), std: [Float](repeating: 1, count: values))
        var accumulator = DatasetStatisticsAccumulator()
        var epoch = plain.batches()
        while let batch = try epoch.next() {
            for i in 0..<batch.count {
                accumulator.add(Array(batch.data[(i * values)..<((i + 1) * values)]))
            }
        }
        return accumulator.normalization(stdFloor: stdFloor)
    }
}
