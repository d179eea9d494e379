import Models

extension RunSettings {
    /// Checks every range and name; the error names the setting, the value and what is allowed.
    public func validate() throws {
        func require(_ ok: Bool, _ message: WorkflowError.Message) throws { if !ok { throw WorkflowError(message) } }
        try require(size >= 32, "\(setting: .size) must be at least 32 (got \(size))")
        try require(cropScale > 0, "\(setting: .cropScale) must be positive (got \(cropScale))")
        try require(
            cropSide.map { $0 > 0 && $0 <= 1 } ?? true,
            "\(setting: .cropSide) is a share of the image's shorter side: above 0 and at most 1 (got \(cropSide ?? 0))")
        try require(
            Self.allowedMegapixels.contains(maxMegapixels) && maxMegapixels > 0,
            "\(setting: .maxMegapixels) must be above 0 and at most \(Int(Self.allowedMegapixels.upperBound)) (got \(maxMegapixels))")
        try require(pretrainEpochs >= 0, "\(setting: .pretrainEpochs) must not be negative (got \(pretrainEpochs))")
        try require(clusterEpochs >= 0, "\(setting: .clusterEpochs) must not be negative (got \(clusterEpochs))")
        try require(pretrainBatch >= 2, "\(setting: .pretrainBatch) must be at least 2: batch norm needs two images (got \(pretrainBatch))")
        try require(clusterBatch >= 2, "\(setting: .clusterBatch) must be at least 2: batch norm needs two images (got \(clusterBatch))")
        try require((pretrainSamples ?? 2) >= 2, "\(setting: .pretrainSamples) must be at least 2")
        try require((clusterSamples ?? 2) >= 2, "\(setting: .clusterSamples) must be at least 2")
        try require(
            pretrainedLearningRateScale > 0 && pretrainedLearningRateScale <= 10,
            "\(setting: .pretrainedLearningRateScale) must be above 0 and at most 10 (got \(pretrainedLearningRateScale))")
        try require(pretrainLearningRate > 0, "\(setting: .pretrainLearningRate) must be positive (got \(pretrainLearningRate))")
        try require((clusterLearningRate ?? 1) > 0, "\(setting: .clusterLearningRate) must be positive (got \(clusterLearningRate ?? 0))")
        try require(
            kRange.map { $0.count == 2 && $0[0] >= 2 && $0[0] <= $0[1] } ?? true,
            "\(setting: .k) auto needs a range of at least 2 clusters, lowest first (got \(kRange ?? []))")
        try require(k >= 1, "\(setting: .k) must be at least 1 (got \(k))")
        try require(DihedralViews.allowed.contains(views), "\(setting: .views) must be 1, 2, 4 or 8 (got \(views))")
        try require(updateInterval >= 1, "\(setting: .updateInterval) must be at least 1 (got \(updateInterval))")
        try require(tol >= 0 && tol < 1, "\(setting: .tol) must be in [0, 1) (got \(tol))")
        try require(noiseSigma >= 0, "\(setting: .noiseSigma) must not be negative (got \(noiseSigma))")
        try require(temperature > 0, "\(setting: .temperature) must be positive (got \(temperature))")
        try require(neighbours >= 1, "\(setting: .neighbours) must be at least 1 (got \(neighbours))")
        try require(entropyWeight >= 0, "\(setting: .entropyWeight) must not be negative (got \(entropyWeight))")
        try require(scanHeads >= 1, "\(setting: .scanHeads) must be at least 1 (got \(scanHeads))")
        try require(selfLabelEpochs >= 0, "\(setting: .selfLabelEpochs) must not be negative (got \(selfLabelEpochs))")
        try require(
            selfLabelConfidence > 0 && selfLabelConfidence < 1,
            "\(setting: .selfLabelConfidence) must be between 0 and 1, e.g. 0.99 (got \(selfLabelConfidence))")
        try require(
            selfLabelEpochs == 0 || method == "scan",
            "\(setting: .selfLabelEpochs) follows SCAN's heads: use it with \(setting: .method) scan (now \(method))")
        try require(
            method != "agglomerative" || kRange == nil,
            "\(setting: .k) auto scores k-means' partitions, which favour equal sizes; with \(setting: .method) agglomerative give a fixed \(setting: .k)")
        try require(
            method != "agglomerative" || unitFeatures,
            "\(setting: .method) agglomerative clusters by cosine distance and assigns each image to the nearest cluster mean of unit-length features: add \(setting: .unitFeatures) true"
        )
        try require(threads >= 0, "\(setting: .threads) must be 0 (all cores) or positive (got \(threads))")
        try require(
            backbone.architecture != nil, "\(setting: .backbone) '\(backbone)' is not one of \(Backbones.names.joined(separator: ", "))")
        try require(
            PretrainingObjectives.named(objective) != nil,
            "\(setting: .objective) '\(objective)' is not one of \(PretrainingObjectives.names.joined(separator: ", "))")
        try require(
            ClusteringMethods.named(method) != nil,
            "\(setting: .method) '\(method)' is not one of \(ClusteringMethods.names.joined(separator: ", "))")
        if imagenetFeatures != nil {
            var withoutSelfLabelling = self
            withoutSelfLabelling.selfLabelEpochs = 0
            let frozen = ClusteringMethods.all.filter { $0.clustersFrozenFeatures(withoutSelfLabelling) }.map(\.name).joined(separator: ", ")
            try require(
                selfLabelEpochs == 0 || selfLabelEncoder == .frozen,
                "\(setting: .imagenetFeatures) joins a frozen backbone's features, which self-labelling would train the encoder through: use \(setting: .selfLabelEncoder) frozen (the head alone learns), 0 \(setting: .selfLabelEpochs), or \(setting: .imagenetFeatures) none"
            )
            try require(
                ClusteringMethods.named(method)?.clustersFrozenFeatures(self) == true,
                "\(setting: .imagenetFeatures) joins a frozen backbone's features, which \(method) would train the encoder through: use one of \(setting: .method) \(frozen), or \(setting: .imagenetFeatures) none"
            )
            try require(
                unitFeatures && features == .pooled,
                "\(setting: .imagenetFeatures) joins unit-length pooled features to the encoder's: use \(setting: .features) pooled and \(setting: .unitFeatures) true"
            )
        }
    }
}
