import Compute
import Determinism
import Foundation
import Models

/// SCAN (Van Gansbeke et al. 2020, arXiv 2005.12320) on the frozen encoder: each image's `neighbours` nearest
/// images in feature space (cosine) are mined once; then `scanHeads` linear heads are trained together with
/// the SCAN loss (an image and a random one of its neighbours should get the same cluster, and the entropy
/// of the mean assignment, weighted by `entropyWeight`, keeps clusters from collapsing). The head with the
/// lowest loss is kept: labels choose nothing.
public struct SCANClustering: ClusteringMethod {
    public let name = "scan"
    public let summary = "SCAN: linear cluster heads trained on mined nearest neighbours (frozen encoder)"

    /// The heads read frozen features; self-labelling trains the encoder unless it is told to hold it frozen.
    public func clustersFrozenFeatures(_ settings: RunSettings) -> Bool { settings.selfLabelEpochs == 0 || settings.selfLabelEncoder == .frozen }

    public func fit(_ context: ClusteringContext) throws -> ClusteringOutcome {
        try context.accept()
        let s = context.settings
        let t0 = monotonicSeconds()
        let data = try context.frozenFeatures ?? FrozenFeatures(context)
        guard s.neighbours >= 1, s.neighbours < data.n else {
            throw WorkflowError(
                "\(setting: .neighbours) \(s.neighbours) needs at least \(s.neighbours + 1) usable images (there are \(data.n)); use a smaller \(setting: .neighbours)"
            )
        }
        let neighbours = try NearestNeighbours.cosine(data.features, n: data.n, d: data.d, k: s.neighbours)
        let agreement = NearestNeighbours.labelAgreement(neighbours, labels: data.labels, ks: [1, 5, 10, 20, 50].filter { $0 <= s.neighbours })
        for a in agreement {
            try context.events.emit(
                .epoch(
                    EpochRecord(
                        stage: "neighbours", epoch: a.k, epochs: 0, step: 0, loss: a.agreement, lossName: "agreement",
                        seconds: 0, images: data.n, notes: [], printed: false)))
        }
        if !agreement.isEmpty {
            try context.events.note(
                "scan: neighbours sharing the image's label (reported, never used): "
                    + agreement.map { String(format: "K=%d %.3f", $0.k, $0.agreement) }.joined(separator: ", "))
        }
        try context.events.note(String(format: "scan: %d neighbours of %d images mined in %.1f s", s.neighbours, data.n, monotonicSeconds() - t0))
        var training = HeadTraining(context: context, data: data, neighbours: neighbours)
        for epoch in 0..<s.clusterEpochs { try training.runEpoch(epoch) }
        let best = training.bestHead
        let model = context.model(head: training.heads[best])
        var stopReason = String(format: "head %d of %d kept (lowest SCAN loss %.4f)", best, training.heads.count, training.lastLosses[best])
        var lastLoss = training.lastLosses[best]
        var selfLabelled = 0
        if s.selfLabelEpochs > 0 {
            // Collapsed heads are not worth self-labelling; the clustering stage checks the final model.
            let q = try model.head.probabilities(data.features, n: data.n)
            var sizes = [Int](repeating: 0, count: s.k)
            for i in 0..<data.n { sizes[Self.argmax(q, row: i, k: s.k)] += 1 }
            if let largest = collapsedClusterSize(sizes) {
                throw collapseMessage(largest: largest, of: data.n, sizes: sizes, settings: s, afterSelfLabelling: false)
            }
            var labelling = try SelfLabelling(context: context, head: training.heads[best], startSizes: sizes, data: data)
            var completed = labelling.start
            for epoch in labelling.start..<max(labelling.start, s.selfLabelEpochs) {
                guard !labelling.stopped, try labelling.runEpoch(epoch) else { break }
                completed = epoch + 1
            }
            stopReason +=
                completed == s.selfLabelEpochs
                ? ", then \(s.selfLabelEpochs) self-labelling epoch\(s.selfLabelEpochs == 1 ? "" : "s")"
                : ", then \(completed) of \(s.selfLabelEpochs) self-labelling epochs (the next one collapsed the clusters)"
            if s.selfLabelEncoder == .frozen { stopReason += " of the head alone" }
            lastLoss = labelling.lastLoss
            selfLabelled = completed
        }
        var outcome = ClusteringOutcome(
            model: model, epoch: s.clusterEpochs + selfLabelled, epochsRun: s.clusterEpochs + selfLabelled,
            stopReason: stopReason, lastLoss: lastLoss, kmeansInertia: nil)
        if clustersFrozenFeatures(s) { outcome.frozenFeatures = data }
        return outcome
    }

    public func collapseError(largest: Int, of n: Int, sizes: [Int], settings: RunSettings) -> WorkflowError? {
        collapseMessage(largest: largest, of: n, sizes: sizes, settings: settings, afterSelfLabelling: settings.selfLabelEpochs > 0)
    }

    /// What to say when one cluster holds over 90 % of the images, and what to change: the heads' settings, or
    /// self-labelling's when it followed heads that had not collapsed.
    func collapseMessage(largest: Int, of n: Int, sizes: [Int], settings s: RunSettings, afterSelfLabelling: Bool) -> WorkflowError {
        if afterSelfLabelling && s.selfLabelEncoder == .train {
            return WorkflowError(
                "self-labelling collapsed the clusters: one holds \(largest) of \(n) images (cluster sizes \(sizes)); the heads alone did not. Use \(setting: .selfLabelEncoder) frozen (the head alone learns), fewer \(setting: .selfLabelEpochs) (now \(s.selfLabelEpochs)) or a higher \(setting: .selfLabelConfidence) (now \(s.selfLabelConfidence)), or 0 epochs to keep the heads' clusters"
            )
        }
        if afterSelfLabelling {
            return WorkflowError(
                "self-labelling collapsed the clusters: one holds \(largest) of \(n) images (cluster sizes \(sizes)); the heads alone did not. Use fewer \(setting: .selfLabelEpochs) (now \(s.selfLabelEpochs)) or a higher \(setting: .selfLabelConfidence) (now \(s.selfLabelConfidence)), or 0 epochs to keep the heads' clusters"
            )
        }
        return WorkflowError(
            "the cluster head collapsed: one cluster holds \(largest) of \(n) images (cluster sizes \(sizes)); raise \(setting: .entropyWeight) (now \(s.entropyWeight)) or train more \(setting: .clusterEpochs)"
        )
    }

    static func argmax(_ q: [Float], row i: Int, k: Int) -> Int {
        var best = 0
        for c in 1..<k where q[i * k + c] > q[i * k + best] { best = c }
        return best
    }
}

/// The training images' features in evaluation mode (the encoder stays as pretrained), with their labels, files
/// and dataset indices.
struct FrozenFeatures: Sendable {
    var features: [Float] = []
    var labels: [Int?] = []
    var paths: [URL] = []
    var indices: [Int] = []
    let d: Int
    var n: Int { indices.count }

    init(_ context: ClusteringContext) throws {
        d = context.dimension
        try context.forEachFeatureBatch { b, z in
            features += z
            labels += b.labels
            paths += b.paths
            indices += b.indices
        }
    }
}

/// Several linear heads trained at once with the SCAN loss, on one Adam.
struct HeadTraining {
    let context: ClusteringContext
    let data: FrozenFeatures
    let neighbours: [[Int]]
    let heads: [LinearHead]
    let optimizer: any Optimizer
    /// Each head's mean loss in the last epoch.
    var lastLosses: [Double]

    init(context: ClusteringContext, data: FrozenFeatures, neighbours: [[Int]]) {
        self.context = context
        self.data = data
        self.neighbours = neighbours
        let s = context.settings
        heads = (0..<s.scanHeads).map { LinearHead(dimension: data.d, k: s.k, seed: s.seed &+ 0x5CA0 &+ UInt64($0)) }
        optimizer = Adam(heads.flatMap(\.parameters), lr: s.clusterLearningRate ?? 1e-3, weightDecay: 1e-4)
        lastLosses = [Double](repeating: .infinity, count: s.scanHeads)
    }

    /// The fewest optimizer steps in an epoch. A set of a few hundred images is one batch of 256, and 60 such
    /// epochs left the heads short of training (a synthetic set of 200 images: ACC 0.74, against 0.93 after 600
    /// steps), so a small set is passed over again, each time in a new order, until the epoch has this many
    /// batches. Kaggle TRAIN at batch 256 takes 39 batches a pass and is unchanged.
    static let minimumStepsPerEpoch = 32

    /// The head with the lowest loss (the first of equals).
    var bestHead: Int { lastLosses.indices.min { lastLosses[$0] < lastLosses[$1] } ?? 0 }

    mutating func runEpoch(_ epoch: Int) throws {
        let s = context.settings
        let e0 = monotonicSeconds()
        var rng = SeededGenerator.derived(seed: s.seed ^ 0x5CA7, stream: UInt64(epoch))
        let batch = min(s.clusterBatch, data.n)
        var order = Array(0..<data.n)
        rng.shuffle(&order)
        while order.count < Self.minimumStepsPerEpoch * batch {
            var pass = Array(0..<data.n)
            rng.shuffle(&pass)
            order += pass
        }
        var sums = [Double](repeating: 0, count: heads.count)
        var seen = 0
        var steps = 0
        let d = data.d
        for start in stride(from: 0, to: order.count, by: batch) {
            let anchors = Array(order[start..<min(order.count, start + batch)])
            let partners = anchors.map { neighbours[$0][rng.nextInt(below: neighbours[$0].count)] }
            var x = [Float]()
            x.reserveCapacity(2 * anchors.count * d)
            for i in anchors + partners { x += data.features[(i * d)..<((i + 1) * d)] }
            let b = anchors.count
            let input = try Tensor(shape: [2 * b, d], values: x)
            for (h, head) in heads.enumerated() {
                head.layer.zeroGrad()
                let logits = try head.layer.forward(input).toArray()
                let k = head.k
                let r = try ContrastiveLosses.scan(
                    logits: Array(logits[0..<(b * k)]), neighbourLogits: Array(logits[(b * k)...]), n: b, k: k, entropyWeight: s.entropyWeight)
                _ = try head.layer.backward(Tensor(shape: [2 * b, k], values: r.gradient + r.neighbourGradient))
                sums[h] += Double(r.loss) * Double(b)
            }
            try optimizer.step()
            seen += b
            steps += 1
        }
        lastLosses = sums.map { $0 / Double(max(seen, 1)) }
        let best = bestHead
        try context.events.emit(
            .epoch(
                EpochRecord(
                    stage: "cluster", epoch: epoch + 1, epochs: s.clusterEpochs, step: steps, loss: lastLosses[best], lossName: "SCAN",
                    seconds: monotonicSeconds() - e0, images: seen, notes: ["best head \(best)"])))
    }
}
