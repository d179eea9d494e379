import Clustering
import Compute
import Foundation
import Imaging

extension DECState {
    /// One epoch of DEC: batches until `clusterSamples` images were seen, then the stopping rule, the
    /// checkpoint and the epoch's event. Returns whether training converged.
    mutating func runEpoch(_ epoch: Int) throws -> Bool {
        let e0 = monotonicSeconds()
        let (k, d) = (settings.k, context.dimension)
        let train = context.train
        let perEpoch = min(settings.clusterSamples ?? Int.max, train.usableCount)
        setEncoderTraining()
        var batches = train.loader(normalization: context.normalization, batch: settings.clusterBatch)
            .batches(epoch: epoch, shuffle: true, seed: settings.seed &+ 1)
        var seen = 0
        var step = 0
        var lossSum = 0.0
        var fullTarget: [Int: [Float]] = [:]
        var epochLabels: [(index: Int, cluster: Int, label: Int?)] = []
        let snapshot = settings.plotEvery > 0 && (epoch + 1) % settings.plotEvery == 0
        var snapshotFeatures: [Float] = []
        while seen < perEpoch, let b = try train.next(&batches) {
            guard b.count >= 2 else { continue }  // failed decodes can shrink a batch below what BN needs
            let (r, z) = try self.step(on: b, epoch: epoch, step: step, fullTarget: &fullTarget)
            let hard = try DECObjective.hardAssignments(q: r.q, n: b.count, k: k)
            if snapshot && epochLabels.count < ClusterSnapshot.limit { snapshotFeatures += z }
            for i in 0..<b.count { epochLabels.append((b.indices[i], hard[i], b.labels[i])) }
            lossSum += Double(r.loss) * Double(b.count)
            seen += b.count
            step += 1
            context.progress.progress(
                "cluster \(epoch + 1)/\(settings.clusterEpochs)", done: min(seen, perEpoch), total: perEpoch,
                detail: String(format: "KL %.5f", lossSum / Double(seen)))
        }
        guard seen > 0 else { throw WorkflowError("cluster: no usable batch in epoch \(epoch + 1)") }
        lastLoss = lossSum / Double(seen)
        let changeFraction = recordLabels(epochLabels)
        let ev = try? ClusteringScore.evaluate(
            labels: epochLabels.map(\.label), clusters: epochLabels.map(\.cluster),
            classNames: train.dataset.classNames, k: k)
        epochsRun += 1
        let stop = epoch > 0 && changeFraction < settings.tol
        if stop {
            stopReason = String(
                format: "converged: %.3f%% of labels changed since the previous epoch (< tol %.3f%%)",
                changeFraction * 100, settings.tol * 100)
        }
        // The epoch's log row and picture first: a run interrupted before the checkpoint repeats the epoch and
        // rewrites them, while one interrupted after it would otherwise resume without them.
        if snapshot {
            let n = snapshotFeatures.count / d
            try context.events.emit(
                .clusterSnapshot(
                    ClusterSnapshot(
                        epoch: epoch + 1, features: snapshotFeatures, n: n, d: d,
                        clusters: epochLabels.prefix(n).map(\.cluster), k: k, seed: settings.seed)))
        }
        try context.events.emit(
            .epoch(
                EpochRecord(
                    stage: "cluster", epoch: epoch + 1, epochs: settings.clusterEpochs, step: step,
                    loss: lastLoss, lossName: "KL", accuracy: ev?.accuracy, nmi: ev?.nmi,
                    seconds: monotonicSeconds() - e0, images: seen,
                    notes: [String(format: "changed %.2f%%", changeFraction * 100)])))
        try writeCheckpoint(epoch: epoch + 1, stopped: stop)
        return stop
    }

    /// One optimizer step on batch `b`: features, target (the batch's own, or the last full refresh), the KL loss
    /// and its gradients into the centres and (when trained) the encoder. NaN/Inf in the features or centres
    /// after an earlier step (DECObjective refuses them) means training diverged.
    mutating func step(on b: ImageBatch, epoch: Int, step: Int, fullTarget: inout [Int: [Float]]) throws -> (DECObjective.Evaluation, [Float]) {
        let (k, d) = (settings.k, context.dimension)
        let z: [Float]
        let zt: Tensor
        let r: DECObjective.Evaluation
        do {
            if settings.updateInterval > 1 && step % settings.updateInterval == 0 {
                fullTarget = try refreshTarget()
                setEncoderTraining()
            }
            let mu = head.centres.value.toArray()
            zt = try context.extractor.features(b.tensor())
            z = zt.toArray()
            let p: [Float]
            if settings.updateInterval == 1 {
                let q = try DECObjective.softAssignment(embeddings: z, centres: mu, n: b.count, k: k, d: d, alpha: settings.alpha)
                p = try DECObjective.targetDistribution(q: q, n: b.count, k: k)
            } else {
                p = b.indices.flatMap { fullTarget[$0] ?? [Float](repeating: 1 / Float(k), count: k) }
            }
            r = try DECObjective.lossAndGradients(embeddings: z, centres: mu, target: p, n: b.count, k: k, d: d, alpha: settings.alpha)
        } catch ClusteringError.nonFinite(let name, _, _) where step > 0 || epoch > start {
            throw diverged(epoch, step, "\(name) hold NaN or Inf after the last update; training diverged")
        }
        guard r.loss.isFinite else { throw diverged(epoch, step, "the KL loss is \(r.loss); training diverged") }
        for parameter in parameters { parameter.zeroGrad() }
        head.centres.grad = try Tensor(shape: [k, d], values: r.gradientCentres)
        if settings.trainEncoder {
            try context.extractor.backward(Tensor(shape: zt.shape, values: r.gradientEmbeddings))
        }
        do { try optimizer.step() } catch let e as ComputeError {  // it refuses only non-finite gradients
            throw diverged(epoch, step, e.message)
        }
        return (r, z)
    }

    /// Stores each image's new cluster; returns the share of images seen before whose cluster changed (the
    /// `tol` stopping rule).
    private mutating func recordLabels(_ labels: [(index: Int, cluster: Int, label: Int?)]) -> Double {
        var compared = 0
        var changed = 0
        for e in labels {
            if previousLabels[e.index] >= 0 {
                compared += 1
                if previousLabels[e.index] != e.cluster { changed += 1 }
            }
            previousLabels[e.index] = e.cluster
        }
        return compared > 0 ? Double(changed) / Double(compared) : 1
    }

    /// `dec-last.safetensors`: the model, the optimizer, the labels, and why training stopped (if it did).
    private func writeCheckpoint(epoch: Int, stopped: Bool) throws {
        var c = model.checkpoint(epoch: epoch, settings: settings)
        c.metadata["wbc.autoencoder"] = context.pretrainedIdentity
        if stopped { c.metadata["wbc.stop_reason"] = stopReason }
        c.storeOptimizer(optimizer)
        c.state.integers["dec.previous_labels"] = try HostIntegerTensor(shape: [previousLabels.count], values: previousLabels.map { Int64($0) })
        try c.write(to: context.run.decLast)
    }
}
