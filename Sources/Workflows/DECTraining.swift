import Determinism
import Clustering
import Compute
import Foundation
import Imaging
import Models

/// Outcome of the clustering stage.
public struct ClusterResult: Sendable {
    public var epochsRun: Int
    public var stopReason: String
    public var lastLoss: Double
    public var kmeansInertia: Double?
}

/// The trained clustering model: encoder, centres and everything needed to name a prediction.
public final class ClusterModel: @unchecked Sendable {
    public let autoencoder: Autoencoder
    public let centres: Parameter
    public let features: FeatureMode
    /// Dihedral views the features are averaged over (1 = none).
    public let views: Int
    public let alpha: Float
    public let normalization: Normalization
    public let normalizationChoice: NormalizationChoice
    /// Class names of the training data (empty when unlabelled).
    public var classNames: [String]
    /// Cluster → index into `classNames`, found on the labelled training data.
    public var mapping: [Int?]

    init(autoencoder: Autoencoder, centres: Parameter, features: FeatureMode, views: Int, alpha: Float, normalization: Normalization,
         normalizationChoice: NormalizationChoice, classNames: [String], mapping: [Int?]) {
        self.autoencoder = autoencoder; self.centres = centres; self.features = features; self.views = views; self.alpha = alpha
        centres.label = "dec.centres"  // its name in dec.safetensors, for messages
        self.normalization = normalization; self.normalizationChoice = normalizationChoice
        self.classNames = classNames; self.mapping = mapping
    }

    public var k: Int { centres.shape[0] }

    /// A digest of the centres (FNV-1a over their bits): it changes whenever the model is clustered again.
    public var identity: String {
        var hash = FNV1a()
        for x in centres.value.toArray() { hash.mix(UInt64(x.bitPattern)) }
        return hash.hex
    }

    /// The cell type a cluster is named after, or "cluster N" when unmapped.
    public func cellType(ofCluster c: Int) -> String {
        if c < mapping.count, let m = mapping[c], m < classNames.count { return classNames[m] }
        return "cluster \(c)"
    }

    func checkpoint(epoch: Int, settings: RunSettings) -> Checkpoint {
        var c = Checkpoint(kind: .dec)
        c.state = StateDict(of: autoencoder.encoder, prefix: "encoder.")
        c.state.floats["dec.centres"] = centres.value.toHost()
        c.spec = autoencoder.spec
        c.epoch = epoch
        c.storeNormalization(normalization, choice: normalizationChoice)
        c.metadata["wbc.features"] = features.rawValue
        c.metadata["wbc.views"] = String(views)
        c.metadata["wbc.alpha"] = String(alpha)
        c.encode(classNames, "wbc.class_names")
        c.encode(mapping, "wbc.mapping")
        c.encode(settings, "wbc.settings")
        return c
    }

    /// Loads `dec.safetensors` (or `dec-last`).
    public static func load(_ url: URL) throws -> (ClusterModel, Checkpoint) {
        let c = try Checkpoint.read(url, kind: .dec)
        guard let spec = c.spec else { throw WorkflowError("\(url.path) does not record its architecture") }
        guard let centres = c.state.floats["dec.centres"], centres.shape.count == 2 else {
            throw WorkflowError("\(url.path) holds no cluster centres (dec.centres)")
        }
        let ae = Autoencoder(spec)
        try c.modelState.subset(prefix: "encoder.").load(into: ae.encoder, source: url.path)
        let (norm, choice) = try c.normalization(file: url.path)
        guard let mode = FeatureMode(rawValue: c.metadata["wbc.features"] ?? "") else {
            throw WorkflowError("\(url.path) does not record its feature mode")
        }
        guard centres.shape[1] == spec.featureDimension(mode) else {
            throw WorkflowError("\(url.path): centres have \(centres.shape[1]) dimensions, the encoder gives \(spec.featureDimension(mode))")
        }
        // Checkpoints written before views existed used one view.
        guard let views = Int(c.metadata["wbc.views"] ?? "1"), DihedralViews.allowed.contains(views) else {
            throw WorkflowError("\(url.path): wbc.views is '\(c.metadata["wbc.views"] ?? "")', not one of \(DihedralViews.allowed)")
        }
        let model = ClusterModel(autoencoder: ae, centres: Parameter(Tensor(centres)), features: mode, views: views,
                                 alpha: Float(c.metadata["wbc.alpha"] ?? "1") ?? 1, normalization: norm, normalizationChoice: choice,
                                 classNames: c.decode([String].self, "wbc.class_names") ?? [],
                                 mapping: c.decode([Int?].self, "wbc.mapping") ?? [])
        return (model, c)
    }

    /// Features, soft assignments and hard clusters for every usable image of `source` (evaluation mode).
    public func assign(_ source: DataSource, batch: Int = 64, progress: any ProgressSink) throws -> Assignments {
        autoencoder.setTraining(false)
        let loader = source.loader(normalization: normalization, batch: batch)
        var epoch = loader.batches()
        var out = Assignments(k: k, dimension: centres.shape[1])
        let total = source.usableCount
        let mu = centres.value.toArray()
        while let b = try Pretraining.nextBatch(&epoch, source) {
            let z = try autoencoder.features(b.tensor(), mode: features, views: views).toArray()
            let q = try DECObjective.softAssignment(embeddings: z, centres: mu, n: b.count, k: k, d: centres.shape[1], alpha: alpha)
            out.append(z: z, q: q, batch: b)
            progress.progress("assign \(source.name)", done: out.count, total: total, detail: "")
        }
        return out
    }
}

/// Per-image results of a pass over a dataset.
public struct Assignments: Sendable {
    public let k: Int
    public let dimension: Int
    public var features: [Float] = []
    public var q: [Float] = []
    public var clusters: [Int] = []
    public var labels: [Int?] = []
    public var paths: [URL] = []
    public var indices: [Int] = []

    init(k: Int, dimension: Int) { self.k = k; self.dimension = dimension }

    public var count: Int { clusters.count }

    mutating func append(z: [Float], q batchQ: [Float], batch: ImageBatch) {
        features += z
        q += batchQ
        for i in 0..<batch.count {
            var best = 0
            for j in 1..<max(k, 1) where batchQ[i * k + j] > batchQ[i * k + best] { best = j }
            clusters.append(best)
        }
        labels += batch.labels
        paths += batch.paths
        indices += batch.indices
    }

    /// The soft-assignment probability of each image's own cluster.
    public var confidence: [Float] { clusters.indices.map { q[$0 * k + clusters[$0]] } }
}

/// Stage 2: Deep Embedded Clustering. k-means (k-means++, restarts) on the encoder's features gives the
/// initial centres; then encoder and centres are trained together to minimise KL(P‖Q) between the
/// Student's-t soft assignment Q and the sharpened target P, refreshed every `updateInterval` batches
/// (1 = from each batch's own Q, as the reference does; more = from a full pass, as the paper does).
/// Training stops when fewer than `tol` of the images changed cluster since they were last seen (the previous
/// epoch), or at the epoch limit.
public enum DECTraining {
    public static func run(settings: RunSettings, run: RunDirectory, train: DataSource,
                           progress: any ProgressSink) throws -> (ClusterModel, ClusterResult) {
        let t0 = monotonicSeconds()
        let aeCheckpoint = try Checkpoint.read(run.autoencoderBest, kind: .autoencoder)
        guard let spec = aeCheckpoint.spec else { throw WorkflowError("\(run.autoencoderBest.path) does not record its architecture") }
        guard spec.imageSize == settings.size, spec.backbone == settings.backbone else {
            throw WorkflowError("\(run.autoencoderBest.path) was trained for \(spec.backbone.rawValue) at \(spec.imageSize)², not \(settings.backbone.rawValue) at \(settings.size)²; use the pretraining settings or another --run")
        }
        let ae = Autoencoder(spec)
        try aeCheckpoint.modelState.load(into: ae, source: run.autoencoderBest.path)
        let (normalization, choice) = try aeCheckpoint.normalization(file: run.autoencoderBest.path)
        try train.checkClusterCount(settings.k)
        if train.dataset.isLabelled && train.dataset.classNames.count < 2 {
            progress.line("warning: the training data has a single class (\(train.dataset.classNames.first ?? "")); accuracy will be trivial")
        }
        let d = spec.featureDimension(settings.features)
        let model = ClusterModel(autoencoder: ae, centres: Parameter(Tensor.zeros([settings.k, d])), features: settings.features, views: settings.views,
                                 alpha: settings.alpha, normalization: normalization, normalizationChoice: choice,
                                 classNames: train.dataset.classNames, mapping: [])
        var params = [model.centres]
        if settings.trainEncoder { params = ae.encoder.parameters + params }
        let optimizer: any Optimizer = settings.optimizer == .adadelta
            ? Adadelta(params, lr: settings.effectiveClusterLearningRate)
            : SGD(params, lr: settings.effectiveClusterLearningRate, momentum: 0.9)

        var start = 0
        var inertia: Double?
        var previousLabels = [Int](repeating: -1, count: train.dataset.samples.count)
        var stopReason = "epoch limit (\(settings.clusterEpochs))"
        var converged = false
        // Which autoencoder this clustering starts from: a dec-last made from another one is not resumed.
        let autoencoderIdentity = "\(aeCheckpoint.epoch)|\(aeCheckpoint.metadata["wbc.best_loss"] ?? "")"
        var last: Checkpoint?
        if FileManager.default.fileExists(atPath: run.decLast.path) {
            let c = try Checkpoint.read(run.decLast, kind: .dec)
            if c.metadata["wbc.autoencoder"] == autoencoderIdentity {
                last = c
            } else {
                progress.line("cluster: the autoencoder changed since \(run.decLast.lastPathComponent) was written; clustering starts again")
            }
        }
        if let c = last {
            guard c.spec == spec, c.metadata["wbc.features"] == settings.features.rawValue,
                  c.state.floats["dec.centres"]?.shape == [settings.k, d],
                  try c.settings(file: run.decLast.path).clusteringFingerprint == settings.clusteringFingerprint else {
                throw WorkflowError("\(run.decLast.path) was made with other clustering settings (--k, --features, --optimizer, --lr, --batch, --samples, --update-interval, …); use the same settings (only --epochs may change), delete it, or use another --run")
            }
            try c.modelState.subset(prefix: "encoder.").load(into: ae.encoder, source: run.decLast.path)
            try model.centres.assign(Tensor(c.state.floats["dec.centres"]!))
            try c.restoreOptimizer(optimizer)
            start = c.epoch
            if let prev = c.state.integers["dec.previous_labels"], prev.values.count == previousLabels.count {
                previousLabels = prev.values.map { Int($0) }
            }
            if let reason = c.metadata["wbc.stop_reason"] {
                converged = true
                stopReason = reason
                progress.line("cluster: already finished after epoch \(start) (\(reason))")
            } else if start > 0 {
                progress.line("cluster: resuming after epoch \(start)")
            }
        }
        // Accepted (a fresh start, or a resumable dec-last): record the settings before the first epoch, so an
        // interrupted run resumes with them.
        try run.saveConfig(settings)
        if last == nil {
            // Initial centres: k-means on the pretrained encoder's features.
            let initial = try model.assign(train, progress: progress)
            let k0 = monotonicSeconds()
            let km = try KMeans(k: settings.k, restarts: settings.kmeansRestarts, seed: settings.seed)
                .fit(initial.features, n: initial.count, d: d)
            inertia = km.inertia
            try model.centres.assign(Tensor(shape: [settings.k, d], values: km.centres))
            for (i, idx) in initial.indices.enumerated() { previousLabels[idx] = km.labels[i] }
            var line = String(format: "k-means: %d restarts, inertia %.4g, %.1f s", settings.kmeansRestarts, km.inertia, monotonicSeconds() - k0)
            if let ev = try? evaluate(labels: initial.labels, clusters: km.labels, classNames: train.dataset.classNames, k: settings.k) {
                line += String(format: "  accuracy %.4f  NMI %.4f", ev.accuracy, ev.nmi)
                try run.appendLog(.init(stage: "kmeans", epoch: 0, step: 0, loss: km.inertia, accuracy: ev.accuracy, nmi: ev.nmi, seconds: monotonicSeconds() - k0))
            }
            progress.line(line)
        }

        var lastLoss = Double.nan
        let loader = train.loader(normalization: normalization, batch: settings.clusterBatch)
        let perEpoch = min(settings.clusterSamples ?? Int.max, train.usableCount)
        var epochsRun = 0
        var lastEpoch = start
        func diverged(_ epoch: Int, _ step: Int, _ what: String) -> WorkflowError {
            WorkflowError("cluster epoch \(epoch + 1), step \(step): \(what). Lower --lr (now \(settings.effectiveClusterLearningRate)); the last good checkpoint (\(run.decLast.lastPathComponent)) is kept.")
        }
        for epoch in start..<max(start, converged ? start : settings.clusterEpochs) {
            let e0 = monotonicSeconds()
            setEncoderTraining(ae, settings)
            var batches = loader.batches(epoch: epoch, shuffle: true, seed: settings.seed &+ 1)
            var seen = 0, step = 0
            var lossSum = 0.0
            var fullTarget: [Int: [Float]] = [:]
            var epochLabels: [(index: Int, cluster: Int, label: Int?)] = []
            let snapshot = settings.plotEvery > 0 && (epoch + 1) % settings.plotEvery == 0
            var snapshotFeatures: [Float] = []
            while seen < perEpoch, let b = try Pretraining.nextBatch(&batches, train) {
                guard b.count >= 2 else { continue }  // failed decodes can shrink a batch below what BN needs
                // NaN/Inf in the features or centres (DECObjective refuses them) after a step means training diverged.
                let z: [Float], zt: Tensor
                let r: DECObjective.Evaluation
                do {
                    if settings.updateInterval > 1 && step % settings.updateInterval == 0 {
                        fullTarget = try refreshTarget(model, train, progress: progress)
                        setEncoderTraining(ae, settings)
                    }
                    let mu = model.centres.value.toArray()
                    zt = try ae.features(b.tensor(), mode: settings.features, views: settings.views)
                    z = zt.toArray()
                    let p: [Float]
                    if settings.updateInterval == 1 {
                        let q = try DECObjective.softAssignment(embeddings: z, centres: mu, n: b.count, k: settings.k, d: d, alpha: settings.alpha)
                        p = try DECObjective.targetDistribution(q: q, n: b.count, k: settings.k)
                    } else {
                        p = b.indices.flatMap { fullTarget[$0] ?? [Float](repeating: 1 / Float(settings.k), count: settings.k) }
                    }
                    r = try DECObjective.lossAndGradients(embeddings: z, centres: mu, target: p, n: b.count, k: settings.k, d: d,
                                                          alpha: settings.alpha)
                } catch ClusteringError.nonFinite(let name, _, _) where step > 0 || epoch > start {
                    throw diverged(epoch, step, "\(name) hold NaN or Inf after the last update; training diverged")
                }
                guard r.loss.isFinite else { throw diverged(epoch, step, "the KL loss is \(r.loss); training diverged") }
                for parameter in params { parameter.zeroGrad() }
                model.centres.grad = try Tensor(shape: [settings.k, d], values: r.gradientCentres)
                if settings.trainEncoder {
                    try ae.backwardFeatures(Tensor(shape: zt.shape, values: r.gradientEmbeddings), mode: settings.features)
                }
                do { try optimizer.step() } catch let e as ComputeError {  // it refuses only non-finite gradients
                    throw diverged(epoch, step, e.message)
                }
                let hard = try DECObjective.hardAssignments(q: r.q, n: b.count, k: settings.k)
                if snapshot && epochLabels.count < ReportWriter.tsneLimit { snapshotFeatures += z }
                for i in 0..<b.count { epochLabels.append((b.indices[i], hard[i], b.labels[i])) }
                lossSum += Double(r.loss) * Double(b.count)
                seen += b.count
                step += 1
                progress.progress("cluster \(epoch + 1)/\(settings.clusterEpochs)", done: min(seen, perEpoch), total: perEpoch,
                                  detail: String(format: "KL %.5f", lossSum / Double(seen)))
            }
            guard seen > 0 else { throw WorkflowError("cluster: no usable batch in epoch \(epoch + 1)") }
            lastLoss = lossSum / Double(seen)
            // Label changes since the images were last seen (the --tol stopping rule).
            var compared = 0, changed = 0
            for e in epochLabels {
                if previousLabels[e.index] >= 0 { compared += 1; if previousLabels[e.index] != e.cluster { changed += 1 } }
                previousLabels[e.index] = e.cluster
            }
            let changeFraction = compared > 0 ? Double(changed) / Double(compared) : 1
            let ev = try? evaluate(labels: epochLabels.map(\.label), clusters: epochLabels.map(\.cluster),
                                   classNames: train.dataset.classNames, k: settings.k)
            let seconds = monotonicSeconds() - e0
            try run.appendLog(.init(stage: "cluster", epoch: epoch + 1, step: step, loss: lastLoss, accuracy: ev?.accuracy, nmi: ev?.nmi, seconds: seconds))
            if snapshot {
                let n = snapshotFeatures.count / d
                try ReportWriter.writeSnapshot(features: snapshotFeatures, n: n, d: d, clusters: epochLabels.prefix(n).map(\.cluster),
                                               names: (0..<settings.k).map { "cluster \($0)" }, epoch: epoch + 1, seed: settings.seed, run: run)
            }
            epochsRun += 1
            lastEpoch = epoch + 1
            let stop = epoch > 0 && changeFraction < settings.tol
            if stop {
                stopReason = String(format: "converged: %.3f%% of labels changed since the previous epoch (< --tol %.3f%%)",
                                    changeFraction * 100, settings.tol * 100)
            }
            var c = model.checkpoint(epoch: epoch + 1, settings: settings)
            c.metadata["wbc.autoencoder"] = autoencoderIdentity
            if stop { c.metadata["wbc.stop_reason"] = stopReason }
            c.storeOptimizer(optimizer)
            c.state.integers["dec.previous_labels"] = try HostIntegerTensor(shape: [previousLabels.count], values: previousLabels.map { Int64($0) })
            try c.write(to: run.decLast)
            var line = String(format: "cluster epoch %d/%d  KL %.5f  changed %.2f%%", epoch + 1, settings.clusterEpochs, lastLoss, changeFraction * 100)
            if let ev { line += String(format: "  accuracy %.4f  NMI %.4f", ev.accuracy, ev.nmi) }
            progress.line(line + String(format: "  %.1f s", seconds))
            if stop { break }
        }
        // Final assignment of the training set, and the cluster → cell-type mapping found on it.
        let final = try model.assign(train, progress: progress)
        if let ev = try evaluate(labels: final.labels, clusters: final.clusters, classNames: train.dataset.classNames, k: settings.k) {
            model.mapping = ev.clusterToClass
        }
        try model.checkpoint(epoch: lastEpoch, settings: settings).write(to: run.decBest)
        try run.recordStage("cluster", seconds: monotonicSeconds() - t0)
        progress.line("cluster: \(stopReason)")
        return (model, ClusterResult(epochsRun: epochsRun, stopReason: stopReason, lastLoss: lastLoss, kmeansInertia: inertia))
    }

    static func setEncoderTraining(_ ae: Autoencoder, _ settings: RunSettings) {
        ae.setTraining(settings.trainEncoder)
        for (_, l) in ae.encoder.namedLayers() { (l as? BatchNorm2d)?.freezeStatistics = settings.freezeBatchNorm }
    }

    /// Metrics over the labelled images (a labels.csv may leave some unlabelled, or give them several types);
    /// nil when none is labelled.
    static func evaluate(labels: [Int?], clusters: [Int], classNames: [String], k: Int) throws -> ClusteringEvaluation? {
        let known = zip(labels, clusters).compactMap { label, cluster in label.map { ($0, cluster) } }
        guard !classNames.isEmpty, !known.isEmpty else { return nil }
        return try ClusteringMetrics.evaluate(labels: known.map(\.0), clusters: known.map(\.1), classNames: classNames, clusterCount: k)
    }

    /// The paper's target refresh: Q over the whole training set (evaluation mode), P from it, by image index.
    static func refreshTarget(_ model: ClusterModel, _ train: DataSource, progress: any ProgressSink) throws -> [Int: [Float]] {
        let a = try model.assign(train, progress: progress)
        let p = try DECObjective.targetDistribution(q: a.q, n: a.count, k: a.k)
        var out: [Int: [Float]] = [:]
        for (i, idx) in a.indices.enumerated() { out[idx] = Array(p[(i * a.k)..<((i + 1) * a.k)]) }
        return out
    }
}
