import Compute
import Foundation
import Imaging
import Models

/// SCAN's third step (Van Gansbeke et al. 2020, section 2.3): the images the head already assigns with
/// probability ≥ `selfLabelConfidence` (on the image as loaded) become pseudo-labels; a strongly augmented view
/// of each (`ContrastiveAugmentation`) is trained toward its pseudo-label with cross-entropy, every cluster
/// weighted by the inverse of its share among the confident images so that a large cluster does not swallow
/// the others. Pseudo-labels come from the features the heads were trained on (the settings' views, the encoder
/// in evaluation mode); the strong view trains through one view. The head trains with Adam at a tenth of the
/// heads' learning rate (`clusterLearningRate`, default 1e-3). With `selfLabelEncoder` `train` (the paper's) the
/// encoder trains with it, at `pretrainedLearningRateScale` times that rate when it started from imported
/// weights, as in pretraining. With `frozen` it does not: the strong views' features are made in evaluation mode
/// (the joined ImageNet backbone's too, from the same augmentation of its own input), and the pseudo-labels are
/// read from the heads' features, which do not change. Each epoch is checkpointed in `dec-last.safetensors` and
/// resumed.
///
/// Self-labelling feeds on its own pseudo-labels, so an epoch can start a collapse; two label-free checks stop it
/// (`collapse(confident:assigned:start:)`): over 90 % of the confident images in one cluster, or a cluster whose
/// share of the images fell to a quarter of the share the heads gave it. The second is relative to the cluster's
/// own start, so a rare type that keeps its 1 % is never taken for a collapse. Both count the images as the epoch
/// trains (no extra pass), so a cluster that empties late in an epoch stops the next one.
struct SelfLabelling {
    let context: ClusteringContext
    let head: LinearHead
    let extractor: FeatureExtractor
    /// With the encoder frozen (`SelfLabelEncoder.frozen`): each training image's row in the heads' features (by
    /// its dataset index), where its pseudo-label is read; nil when the encoder trains.
    let frozenRows: [Int: Int]?
    let data: FrozenFeatures
    /// The joined ImageNet backbone through one view, for the strong views (frozen encoder only).
    let imagenetStrong: FeatureExtractor?
    let optimizer: any Optimizer
    let augmentation = ContrastiveAugmentation()
    /// The epoch to continue from (after a resumed checkpoint).
    private(set) var start = 0
    /// An epoch after `start` collapsed the clusters (in this call or when the run was trained before, as
    /// `dec-last` records): nothing more is trained.
    private(set) var stopped = false
    /// The share of an epoch's confident images in one cluster that stops self-labelling (a task-local value so
    /// that a test can make any epoch "collapse").
    @TaskLocal static var collapseShare = 0.9
    /// A cluster whose share of the images falls below this fraction of its share under the heads has emptied.
    static let shrinkFactor = 0.25
    /// The heads' cluster sizes over the training images, before any self-labelling: the shares the shrink check
    /// compares with.
    let startSizes: [Int]
    private(set) var lastLoss = Double.nan

    /// `data`: the training images' features the heads were trained on.
    init(context: ClusteringContext, head: LinearHead, startSizes: [Int], data: FrozenFeatures) throws {
        self.context = context
        self.head = head
        self.startSizes = startSizes
        self.data = data
        let s = context.settings
        extractor = FeatureExtractor(backbone: context.encoder, mode: s.features, views: 1, unitLength: s.unitFeatures)
        let trainsEncoder = s.selfLabelEncoder == .train
        frozenRows = trainsEncoder ? nil : Dictionary(uniqueKeysWithValues: data.indices.enumerated().map { ($1, $0) })
        imagenetStrong =
            trainsEncoder ? nil : context.imagenet.map { FeatureExtractor(backbone: $0.extractor.backbone, mode: .pooled, views: 1, unitLength: true) }
        optimizer = Adam((trainsEncoder ? context.encoder.parameters : []) + head.parameters, lr: (s.clusterLearningRate ?? 1e-3) / 10, weightDecay: 1e-4)
        if trainsEncoder && s.weights != nil && s.pretrainedLearningRateScale != 1 {
            try optimizer.setLearningRateScale(s.pretrainedLearningRateScale, for: context.encoder.parameters)
        }
        try resume()
    }

    /// What a saved self-labelling state depends on: the clustering settings, the heads' epochs, the confidence and
    /// whether the encoder trains.
    var key: String {
        let s = context.settings
        return (s.clusteringFingerprint + [String(s.clusterEpochs), String(s.selfLabelConfidence)] + (s.selfLabelEncoder == .frozen ? ["frozen"] : []))
            .joined(separator: "|")
    }

    /// Continues from `dec-last.safetensors` when self-labelling of the same pretrained model and settings wrote
    /// it, no further than the epochs asked for; the heads before it are retrained first (seconds, and the same
    /// every time). Otherwise self-labelling starts again from the heads, and says why.
    private mutating func resume() throws {
        let url = context.run.decLast
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        let c = try Checkpoint.read(url, kind: .dec)
        guard c.metadata["wbc.autoencoder"] == context.pretrainedIdentity, c.metadata["wbc.self_labelling"] == "true" else { return }
        guard c.metadata["wbc.self_label_key"] == key else {
            try context.events.note("self-label: the clustering settings changed since \(url.lastPathComponent) was written; self-labelling starts again")
            return
        }
        guard c.epoch <= context.settings.selfLabelEpochs else {
            try context.events.note(
                "self-label: \(url.lastPathComponent) holds \(c.epoch) epochs, more than the \(context.settings.selfLabelEpochs) asked for; self-labelling starts again"
            )
            return
        }
        try restore(c, file: url.path)
        start = c.epoch
        if let collapsed = c.metadata[Self.stoppedKey] {
            stopped = true
            try context.events.note("self-label: epoch \(collapsed) collapsed the clusters when this run was trained; keeping epoch \(start)")
        } else if start > 0 {
            try context.events.note("self-label: resuming after epoch \(start)")
        }
    }

    /// Puts the encoder (unless it is frozen: it made the heads' features and stays as it is), the head and the
    /// optimizer back as the checkpoint `c` holds them.
    private func restore(_ c: Checkpoint, file: String) throws {
        if frozenRows == nil { try c.modelState.subset(prefix: "encoder.").load(into: context.encoder, source: file) }
        let saved = try LinearHead.load(from: c, file: file)
        try head.layer.weight.assign(saved.layer.weight.value)
        if let b = saved.layer.bias?.value { try head.layer.bias?.assign(b) }
        try c.restoreOptimizer(optimizer)
    }

    /// The size of the cluster that holds over 90 % of an epoch's confident images (the share the clustering
    /// stage's own check uses for all images), if one does: the epoch has begun to collapse the clusters.
    static func collapsedCluster(_ perCluster: [Int]) -> Int? {
        let largest = perCluster.max() ?? 0
        return perCluster.count > 1 && Double(largest) > collapseShare * Double(perCluster.reduce(0, +)) ? largest : nil
    }

    /// The first cluster whose share of `now` fell below `shrinkFactor` times its share of `start`, if one did: the
    /// cluster is emptying. A cluster that was small under the heads only counts when it shrinks to a quarter of
    /// its own size, so a rare type is not mistaken for an emptying cluster.
    static func shrunkCluster(start: [Int], now: [Int]) -> Int? {
        let (n0, n1) = (Double(start.reduce(0, +)), Double(now.reduce(0, +)))
        guard start.count == now.count, n0 > 0, n1 > 0 else { return nil }
        return start.indices.first { start[$0] > 0 && Double(now[$0]) / n1 < shrinkFactor * Double(start[$0]) / n0 }
    }

    /// What went wrong in an epoch whose confident images fell into clusters as `confident` counts and all its
    /// images (each by the head's most likely cluster) as `assigned` counts, nil when nothing did.
    static func collapse(confident: [Int], assigned: [Int], start: [Int]) -> String? {
        func list(_ sizes: [Int]) -> String { sizes.map(String.init).joined(separator: ", ") }
        if let largest = collapsedCluster(confident) {
            return String(
                format: "sent %.1f%% of the confident images to one cluster (%@)", 100 * Double(largest) / Double(confident.reduce(0, +)),
                list(confident))
        }
        if let c = shrunkCluster(start: start, now: assigned) {
            return String(
                format: "shrank cluster %d from %.1f%% of the images under the heads to %.1f%% (heads %@; now %@)", c,
                100 * Double(start[c]) / Double(start.reduce(0, +)), 100 * Double(assigned[c]) / Double(assigned.reduce(0, +)), list(start),
                list(assigned))
        }
        return nil
    }

    /// `dec-last`'s metadata key for the epoch that collapsed the clusters, so that a rerun keeps the epoch before
    /// it instead of training the collapsing one again.
    static let stoppedKey = "wbc.self_label_collapsed_at"

    /// Trains one epoch and checkpoints it; returns false, having put back the previous epoch, when this one began
    /// to collapse the clusters (`collapse(confident:assigned:start:)`), and throws when that happens in the first
    /// epoch.
    mutating func runEpoch(_ epoch: Int) throws -> Bool {
        let s = context.settings
        let e0 = monotonicSeconds()
        context.encoder.setTraining(frozenRows == nil)
        for (_, l) in context.encoder.namedLayers() { (l as? BatchNorm2d)?.freezeStatistics = s.freezeBatchNorm }
        head.layer.setTraining(true)
        var batches = context.train.loader(normalization: context.normalization, batch: s.clusterBatch)
            .batches(epoch: epoch, shuffle: true, seed: s.seed &+ 2)
        // The ImageNet backbone's input of the same images, in the same order (frozen encoder only).
        var imagenetBatches = try imagenetStrong.map { _ in
            try context.train.imagenetLoader(batch: s.clusterBatch).batches(epoch: epoch, shuffle: true, seed: s.seed &+ 2)
        }
        var (seen, confident, step, lossSum) = (0, 0, 0, 0.0)
        var perCluster = [Int](repeating: 0, count: head.k)
        var assigned = [Int](repeating: 0, count: head.k)
        while let b = try context.train.next(&batches) {
            let other = try FeatureSources.partner(of: b, in: &imagenetBatches, name: context.train.name)
            guard b.count >= 2 else { continue }
            let stepContext = StepContext(normalization: context.normalization, seed: s.seed &+ 0x5E1F, epoch: epoch, step: step, settings: s)
            let r = try train(b, imagenet: other, stepContext: stepContext)
            lossSum += Double(r.loss) * Double(r.targets.count)
            confident += r.targets.count
            for t in r.targets { perCluster[t] += 1 }
            for a in r.assigned { assigned[a] += 1 }
            seen += b.count
            step += 1
            context.progress.progress(
                "self-label \(epoch + 1)/\(s.selfLabelEpochs)", done: seen, total: context.train.usableCount,
                detail: String(format: "confident %.1f%%", 100 * Double(confident) / Double(max(seen, 1))))
        }
        try FeatureSources.checkExhausted(&imagenetBatches, name: context.train.name)
        guard confident > 0 else {
            throw WorkflowError(
                "self-label epoch \(epoch + 1): no image reached the head's confidence \(s.selfLabelConfidence); lower \(setting: .selfLabelConfidence) or train the heads longer (\(setting: .clusterEpochs))"
            )
        }
        if let collapse = Self.collapse(confident: perCluster, assigned: assigned, start: startSizes) {
            let what = "self-label epoch \(epoch + 1) \(collapse)"
            guard epoch > 0, FileManager.default.fileExists(atPath: context.run.decLast.path) else {
                if frozenRows == nil {
                    throw WorkflowError(
                        "\(what): the clusters collapse. Use \(setting: .selfLabelEncoder) frozen (the head alone learns), a higher \(setting: .selfLabelConfidence) (now \(s.selfLabelConfidence)), or 0 \(setting: .selfLabelEpochs) to keep the heads' clusters"
                    )
                }
                throw WorkflowError(
                    "\(what): the clusters collapse. Use a higher \(setting: .selfLabelConfidence) (now \(s.selfLabelConfidence)), or 0 \(setting: .selfLabelEpochs) to keep the heads' clusters"
                )
            }
            var kept = try Checkpoint.read(context.run.decLast, kind: .dec)
            try restore(kept, file: context.run.decLast.path)
            kept.metadata[Self.stoppedKey] = String(epoch + 1)
            try kept.write(to: context.run.decLast)
            stopped = true
            try context.events.note("\(what): stopped, keeping epoch \(epoch)")
            return false
        }
        lastLoss = lossSum / Double(confident)
        try context.events.emit(
            .epoch(
                EpochRecord(
                    stage: "self-label", epoch: epoch + 1, epochs: s.selfLabelEpochs, step: step, loss: lastLoss, lossName: "cross-entropy",
                    seconds: monotonicSeconds() - e0, images: seen,
                    notes: [
                        String(format: "%.1f%% confident", 100 * Double(confident) / Double(max(seen, 1))),
                        "per cluster " + perCluster.map(String.init).joined(separator: "/"),
                        "assigned " + assigned.map(String.init).joined(separator: "/"),
                    ])))
        var c = context.model(head: head).checkpoint(epoch: epoch + 1, settings: s)
        c.metadata["wbc.autoencoder"] = context.pretrainedIdentity
        c.metadata["wbc.self_labelling"] = "true"
        c.metadata["wbc.self_label_key"] = key
        c.storeOptimizer(optimizer)
        try c.write(to: context.run.decLast)
        return true
    }

    /// The head's logits for the batch `x` as loaded (the images `indices`), through the features the heads were
    /// trained on: read from `data` when the encoder is frozen, else made again with the encoder in evaluation
    /// mode as those features were made (training mode would keep every view's activations for a backward pass
    /// that never comes: 17.5 GB peak for Lite0's 4 × 256 views at 112²). The encoder's mode is as before on return.
    func pseudoLabelLogits(_ x: Tensor, indices: [Int]) throws -> [Float] {
        if let frozenRows {
            let d = data.d
            var z = [Float]()
            z.reserveCapacity(indices.count * d)
            for i in indices {
                guard let row = frozenRows[i] else {
                    throw WorkflowError(
                        "self-label: image \(i) of \(context.train.name) has no features from the heads' pass; if the run's cache folder (RUN/cache) is older than the images, delete it and run the command again"
                    )
                }
                z += data.features[(row * d)..<((row + 1) * d)]
            }
            return try head.layer.forward(Tensor(shape: [indices.count, d], values: z)).toArray()
        }
        context.encoder.setTraining(false)
        defer { context.encoder.setTraining(true) }
        return try head.layer.forward(context.extractor.features(x)).toArray()
    }

    /// The features of the strong views of the batch `x`: through the training encoder, or, with the encoder frozen,
    /// in evaluation mode and joined with the ImageNet backbone's features of the same augmentation of its own input
    /// `imagenet` (the same images). Every image's view is made, confident or not, so the networks always see
    /// batches of one size (tried: only the confident images, a batch of a new size each step, gave the same figures
    /// on Kaggle with a peak RSS of 2.5 GB against 1.4 GB).
    func strongFeatures(_ x: Tensor, imagenet: ImageBatch?, stepContext: StepContext) throws -> Tensor {
        let strong = try ContrastiveTraining.views(of: x, augmentation: augmentation, context: stepContext, copies: 1)
        guard frozenRows != nil, let imagenetStrong else { return try extractor.features(strong) }
        guard let imagenet else { throw WorkflowError("self-label: \(context.train.name) has no input for the ImageNet backbone") }
        var imagenetContext = stepContext
        imagenetContext.normalization = ImageNetFeatures.normalization
        let views = try ContrastiveTraining.views(of: imagenet.tensor(), augmentation: augmentation, context: imagenetContext, copies: 1)
        imagenetStrong.backbone.setTraining(false)
        let joined = ImageNetFeatures.join(try extractor.features(strong).toArray(), try imagenetStrong.features(views).toArray(), n: x.shape[0])
        return try Tensor(shape: [x.shape[0], joined.count / x.shape[0]], values: joined)
    }

    /// One step: pseudo-labels from the batch as loaded, cross-entropy on a strong view of the confident images.
    /// Returns the loss and the pseudo-labels (none, and nothing trained, when no image is confident), and every
    /// image's most likely cluster. `imagenet`: the same images as the joined ImageNet backbone sees them.
    func train(_ b: ImageBatch, imagenet: ImageBatch? = nil, stepContext: StepContext) throws -> (loss: Float, targets: [Int], assigned: [Int]) {
        let x = try b.tensor()
        let (n, k) = (x.shape[0], head.k)
        let p = ContrastiveLosses.softmaxRows(try pseudoLabelLogits(x, indices: b.indices), n, k)
        var rows: [Int] = []
        var targets: [Int] = []
        var assigned: [Int] = []
        for i in 0..<n {
            var best = 0
            for c in 1..<k where p[i * k + c] > p[i * k + best] { best = c }
            assigned.append(best)
            if p[i * k + best] >= Double(context.settings.selfLabelConfidence) {
                rows.append(i)
                targets.append(best)
            }
        }
        guard !rows.isEmpty else { return (0, [], assigned) }
        let logits = try head.layer.forward(strongFeatures(x, imagenet: imagenet, stepContext: stepContext)).toArray()
        let picked = rows.flatMap { logits[($0 * k)..<(($0 + 1) * k)] }
        let r = try ContrastiveLosses.weightedCrossEntropy(
            logits: picked, targets: targets, k: k, classWeights: ContrastiveLosses.balancingWeights(targets, k: k))
        var gradient = [Float](repeating: 0, count: n * k)
        for (j, i) in rows.enumerated() { for c in 0..<k { gradient[i * k + c] = r.gradient[j * k + c] } }
        head.layer.zeroGrad()
        if frozenRows == nil { context.encoder.zeroGrad() }
        let featureGradient = try head.layer.backward(Tensor(shape: [n, k], values: gradient))
        if frozenRows == nil { try extractor.backward(featureGradient) }
        try optimizer.step()
        return (r.loss, targets, assigned)
    }
}
