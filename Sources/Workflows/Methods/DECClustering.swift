import Clustering
import Compute
import Foundation
import Imaging
import Models

/// Deep Embedded Clustering (Xie, Girshick & Farhadi 2016). k-means on the encoder's features gives the
/// initial centres (`KMeansClustering`); then encoder and centres are trained together to minimise KL(P‖Q)
/// between the Student's t soft assignment Q and the sharpened target P, refreshed every `updateInterval`
/// batches (1 = from each batch's own Q, as the reference does; more = from a full pass, as the paper does).
/// Training stops when fewer than `tol` of the images changed cluster since they were last seen (the
/// previous epoch), or at the epoch limit. Each epoch is checkpointed (`dec-last.safetensors`) and resumed.
public struct DECClustering: ClusteringMethod {
    public let name = "dec"
    public let summary = "Deep Embedded Clustering: k-means start, then encoder and centres trained on KL(P‖Q)"

    public func fit(_ context: ClusteringContext) throws -> ClusteringOutcome {
        var state = try DECState(context)
        try context.accept()
        if state.resumedFrom == nil { try state.initialise() }
        for epoch in state.start..<max(state.start, state.converged ? state.start : context.settings.clusterEpochs) {
            if try state.runEpoch(epoch) { break }
        }
        return ClusteringOutcome(
            model: state.model, epoch: state.start + state.epochsRun, epochsRun: state.epochsRun, stopReason: state.stopReason,
            lastLoss: state.lastLoss, kmeansInertia: state.inertia)
    }
}

/// DEC's training state across epochs: the head, the optimizer, each image's last cluster.
struct DECState {
    let context: ClusteringContext
    let settings: RunSettings
    let head: StudentTHead
    let model: ClusterModel
    let parameters: [Parameter]
    let optimizer: any Optimizer
    var start = 0
    var resumedFrom: Int?
    var converged = false
    var stopReason: String
    var inertia: Double?
    var lastLoss = Double.nan
    var epochsRun = 0
    /// Each training image's cluster when last seen (-1: not yet), by dataset index.
    var previousLabels: [Int]

    init(_ context: ClusteringContext) throws {
        self.context = context
        settings = context.settings
        let d = context.dimension
        head = StudentTHead(centres: Tensor.zeros([settings.k, d]), alpha: settings.alpha)
        model = context.model(head: head)
        parameters = (settings.trainEncoder ? context.encoder.parameters : []) + [head.centres]
        optimizer =
            settings.optimizer == .adadelta
            ? Adadelta(parameters, lr: settings.effectiveClusterLearningRate)
            : SGD(parameters, lr: settings.effectiveClusterLearningRate, momentum: 0.9)
        stopReason = "epoch limit (\(settings.clusterEpochs))"
        previousLabels = [Int](repeating: -1, count: context.train.dataset.samples.count)
        try resume()
    }

    /// Continues from `dec-last.safetensors` when it was made from the same pretrained model and settings.
    private mutating func resume() throws {
        let url = context.run.decLast
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        let c = try Checkpoint.read(url, kind: .dec)
        guard c.metadata["wbc.autoencoder"] == context.pretrainedIdentity else {
            try context.events.note("cluster: the pretrained model changed since \(url.lastPathComponent) was written; clustering starts again")
            return
        }
        guard c.spec == context.spec, c.metadata["wbc.features"] == settings.features.rawValue,
            c.state.floats["dec.centres"]?.shape == [settings.k, context.dimension],
            try c.settings(file: url.path).clusteringFingerprint == settings.clusteringFingerprint
        else {
            throw WorkflowError(
                "\(url.path) was made with other clustering settings (\(setting: .k), \(setting: .features), \(setting: .optimizer), \(setting: .clusterLearningRate), \(setting: .clusterBatch), \(setting: .clusterSamples), \(setting: .updateInterval), …); use the same settings (only \(setting: .clusterEpochs) may change), delete it, or use another \(setting: .run) directory"
            )
        }
        try c.modelState.subset(prefix: "encoder.").load(into: context.encoder, source: url.path)
        try head.centres.assign(Tensor(c.state.floats["dec.centres"]!))
        try c.restoreOptimizer(optimizer)
        start = c.epoch
        resumedFrom = start
        if let prev = c.state.integers["dec.previous_labels"], prev.values.count == previousLabels.count {
            previousLabels = prev.values.map { Int($0) }
        }
        if let reason = c.metadata["wbc.stop_reason"] {
            converged = true
            stopReason = reason
            try context.events.note("cluster: already finished after epoch \(start) (\(reason))")
        } else if start > 0 {
            try context.events.note("cluster: resuming after epoch \(start)")
        }
    }

    /// The initial centres: k-means on the pretrained encoder's features.
    mutating func initialise() throws {
        let start = try KMeansClustering.initialCentres(context)
        try head.centres.assign(start.head.centres.value)
        inertia = start.inertia
        for (idx, cluster) in start.labels { previousLabels[idx] = cluster }
    }

    func setEncoderTraining() {
        context.encoder.setTraining(settings.trainEncoder)
        for (_, l) in context.encoder.namedLayers() { (l as? BatchNorm2d)?.freezeStatistics = settings.freezeBatchNorm }
    }

    func diverged(_ epoch: Int, _ step: Int, _ what: String) -> WorkflowError {
        WorkflowError(
            "cluster epoch \(epoch + 1), step \(step): \(what). Lower \(setting: .clusterLearningRate) (now \(settings.effectiveClusterLearningRate)); the last good checkpoint (\(context.run.decLast.lastPathComponent)) is kept."
        )
    }

    /// The paper's target refresh: Q over the whole training set (evaluation mode), P from it, by image index.
    func refreshTarget() throws -> [Int: [Float]] {
        let a = try model.assign(context.train, progress: context.progress)
        let p = try DECObjective.targetDistribution(q: a.q, n: a.count, k: a.k)
        var out: [Int: [Float]] = [:]
        for (i, idx) in a.indices.enumerated() { out[idx] = Array(p[(i * a.k)..<((i + 1) * a.k)]) }
        return out
    }
}
