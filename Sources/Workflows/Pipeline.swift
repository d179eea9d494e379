import Compute
import Foundation
import Imaging
import Models
import Report

/// The front door: one entry per command. Front ends (the CLI, tests, a server) parse their input into
/// `SettingsOverrides` and the like, call one of these, and present the result; everything else happens here.
public enum Pipeline {
    /// Where a command reports: the progress output, and whether to draw per-epoch pictures.
    static func events(run: RunDirectory, settings: RunSettings?, progress: any ProgressSink) -> TrainingEvents {
        var observers: [any TrainingObserver] = [TrainingLogObserver(run.trainingLog), ProgressObserver(progress)]
        if let settings, settings.plotEvery > 0 { observers.append(SnapshotPlotter(run: run)) }
        return TrainingEvents(observers)
    }

    // MARK: Training

    /// The whole method (`run`): pretrain → cluster → evaluate (train and test) → report. Without data, on a
    /// synthetic set of `perClass` images per class (preset `tiny` unless one is given).
    public static func run(
        _ overrides: SettingsOverrides, runPath: String, perClass: Int = 64,
        progress: any ProgressSink
    ) throws -> RunStage.Outcome {
        let run = RunDirectory(uncreated: runPath)
        let synthetic = overrides.data == nil
        var settings = try overrides.settings(.preset(fallback: synthetic ? .tiny : .fast))
        try RunStage.check(settings, needsData: !synthetic)
        if synthetic, perClass < 4 { throw WorkflowError("\(setting: .perClass) must be at least 4 (got \(perClass))") }
        try run.create()
        let events = events(run: run, settings: settings, progress: progress)
        if synthetic {
            (settings.data, settings.test) = try SyntheticData.prepare(run: run, perClass: perClass, seed: settings.seed, events: events)
        }
        let outcome = try RunStage.run(settings: settings, run: run, events: events, progress: progress)
        try ReportWriter.write(run: run, progress: progress)
        return outcome
    }

    /// Stage 1 alone (`pretrain`), continuing the run's saved settings unless a preset is given.
    public static func pretrain(_ overrides: SettingsOverrides, runPath: String, progress: any ProgressSink) throws -> PretrainResult {
        let run = RunDirectory(uncreated: runPath)
        let requested = try overrides.settings(.savedOrPreset(saved: try run.configFile.load(), fallback: .fast))
        try RunStage.check(requested, needsData: true)
        try run.create()
        let events = events(run: run, settings: requested, progress: progress)
        let (settings, train) = try RunStage.prepare(requested, run: run, needsK: false, events: events, progress: progress)
        return try PretrainStage.run(settings: settings, run: run, train: train, events: events, progress: progress)
    }

    /// What `cluster` reports: the clustering and the training split's metrics.
    public struct ClusterReport: Sendable {
        public var outcome: ClusteringOutcome
        public var train: SplitMetrics
    }

    /// Stage 2 alone (`cluster`), then the training split's evaluation.
    public static func cluster(_ overrides: SettingsOverrides, runPath: String, progress: any ProgressSink) throws -> ClusterReport {
        let run = RunDirectory(uncreated: runPath)
        let saved = try run.configFile.load()
        var requested = try overrides.settings(.savedOrPreset(saved: saved, fallback: .fast))
        // `cluster --weights W` on a run that was never pretrained clusters on the imported encoder as it is: a
        // pretraining of no epochs writes it as the run's pretrained model. A pretrained run keeps its encoder, so
        // other weights there would be ignored: refused instead.
        let pretrained = FileManager.default.fileExists(atPath: run.autoencoderBest.path)
        if let weights = overrides.weights, pretrained, weights != saved?.weights {
            throw WorkflowError(
                "\(setting: .weights) \(weights): \(run.root.path) already has a pretrained encoder (\(run.autoencoderBest.lastPathComponent)\(saved?.weights.map { ", from \($0)" } ?? "")), which clustering would use instead; drop \(setting: .weights), or give a new \(setting: .run) directory to cluster on these weights"
            )
        }
        let importedOnly = overrides.weights != nil && !pretrained
        if importedOnly { requested.pretrainEpochs = 0 }
        try RunStage.check(requested, needsData: true)
        try run.create()
        let events = events(run: run, settings: requested, progress: progress)
        let (settings, train) = try RunStage.prepare(requested, run: run, needsK: true, events: events, progress: progress)
        if importedOnly { _ = try PretrainStage.run(settings: settings, run: run, train: train, events: events, progress: progress) }
        let outcome = try ClusterStage.run(settings: settings, run: run, train: train, events: events, progress: progress)
        let (metrics, _) = try EvaluateStage.run(
            model: outcome.model, source: train, split: "train", run: run, assignments: outcome.trainAssignments, progress: progress)
        return ClusterReport(outcome: outcome, train: metrics)
    }

    // MARK: Using a trained run

    /// `evaluate`: scores the run's clustering model on `data` as split `split`.
    public static func evaluate(
        runPath: String, data: String, split: String, threads: Int = 0, maxMegapixels: Double? = nil,
        progress: any ProgressSink
    ) throws -> SplitMetrics {
        useThreads(threads)
        let run = try RunDirectory.existing(runPath)
        let (model, checkpoint) = try ClusterModel.load(run.decBest)
        var settings = try checkpoint.settings(file: run.decBest.path)
        if let maxMegapixels { settings.maxMegapixels = maxMegapixels }
        let source = try DataSource.open(data, name: split, settings: settings, run: run, progress: progress)
        return try EvaluateStage.run(model: model, source: source, split: split, run: run, progress: progress).0
    }

    /// `predict`: cluster, cell type and confidence of each image; the files that could not be read.
    /// `maxMegapixels` replaces the run's image-size limit.
    public static func predict(
        runPath: String, images: [String], threads: Int = 0, maxMegapixels: Double? = nil,
        progress: any ProgressSink
    ) throws -> (predictions: [Prediction], skipped: [String], warnings: [String]) {
        useThreads(threads)
        let run = try RunDirectory.existing(runPath)
        return try PredictStage.predict(run: run, images: images, maxMegapixels: maxMegapixels, progress: progress)
    }

    /// The first image (by path) of each class folder of the ImageFolder `folder` (the reference's check that
    /// `predict --samples` prints).
    public static func firstImageOfEachClass(in folder: String) throws -> [(className: String, path: String)] {
        let ds: ImageDataset
        do { ds = try ImageDataset.imageFolder(at: URL(fileURLWithPath: folder)) } catch {
            throw WorkflowError(parts: [.setting(.samples), .text(" \(folder): \(error)")])
        }
        return ds.classNames.enumerated().compactMap { c, name in
            ds.samples.filter { $0.label == c }.map(\.url.path).sorted().first.map { (name, $0) }
        }
    }

    /// `report`: rebuilds `RUN/report.html` from the run directory.
    public static func report(runPath: String, progress: any ProgressSink) throws -> URL {
        let run = try RunDirectory.existing(runPath)
        guard FileManager.default.fileExists(atPath: run.config.path) else {
            throw WorkflowError("\(runPath) is not a run directory (no config.json); train one first (run or pretrain)")
        }
        try ReportWriter.write(run: run, progress: progress)
        return run.report
    }

    /// `embed`: pooled features of images, as `OUT/features.npy` and `OUT/index.csv`.
    public static func embed(
        inputs: [String], out: String, options: EmbedStage.Options, threads: Int = 0,
        progress: any ProgressSink
    ) throws -> EmbedStage.Result {
        useThreads(threads)
        return try EmbedStage.run(inputs: inputs, out: out, options: options, progress: progress)
    }

    // MARK: Tools

    /// `bench` (model modes): forward, training step, one convolution, or the FMA peak.
    public static func bench(_ configuration: BenchmarkConfiguration, progress: (Int, Double) -> Void = { _, _ in }) throws -> BenchmarkResult {
        try ModelBenchmark.run(configuration, progress: progress)
    }

    /// `bench --mode decode`: decode + crop + resize of the images under `data`, one thread and `threads`.
    public static func benchDecode(
        data: String, options: PreprocessOptions, passes: Int, threads: Int,
        limit: Int? = nil
    ) throws -> (result: DecodeBenchmarkResult, files: [URL]) {
        let dataset: ImageDataset
        do { dataset = try ImageDataset.open(URL(fileURLWithPath: data)) } catch { throw WorkflowError(parts: [.setting(.data), .text(" \(data): \(error)")]) }
        var files = dataset.samples.map(\.url)
        if let limit {
            // Evenly across the list (classes in order), so every class is represented.
            let step = max(1, files.count / limit)
            files = Array(stride(from: 0, to: files.count, by: step).prefix(limit).map { files[$0] })
        }
        return (DecodeBenchmark.run(files: files, options: options, passes: passes, threads: threads), files)
    }

    /// `synth`: a synthetic blood-smear set in ImageFolder layout with a labels.csv.
    public static func synthesize(out: String, counts: [CellType: Int], seed: UInt64, size: ImageSize) throws -> SyntheticSmears.Summary {
        do {
            return try SyntheticSmears.write(to: URL(fileURLWithPath: out), counts: counts, seed: seed, options: SyntheticSmears.Options(size: size))
        } catch { throw WorkflowError("synthetic data", error) }
    }

    /// What `stats` reports: a labels.csv's counts, or an image folder's census.
    public enum Statistics: Sendable {
        case labels(LabelsTable)
        case folder(DatasetCensus)
    }

    /// `stats`: counts per cell type of a labels.csv, or classes, sizes and formats of an image folder; with
    /// `strict`, the first unreadable file is an error.
    public static func statistics(path: String, strict: Bool, maxMegapixels: Double = RunSettings().maxMegapixels) throws -> Statistics {
        let url = URL(fileURLWithPath: path)
        do {
            if url.pathExtension.lowercased() == "csv" { return .labels(try LabelsTable.read(url)) }
            let census = DatasetCensus.take(try ImageDataset.open(url, strict: strict), options: RunSettings.decodeOptions(maxMegapixels: maxMegapixels))
            if strict, let first = census.skipped.errors.first { throw first }
            return .folder(census)
        } catch let error as WorkflowError { throw error } catch {
            throw WorkflowError("\(error)")  // the readers' errors name the file
        }
    }

    /// Writes a bar chart of counts per cell type as SVG.
    public static func writeCountsChart(_ counts: [(String, Int)], to path: String) throws {
        let svg = SVGChart.bar(
            title: "Cell types", bars: counts.map { BarDatum(label: $0.0, value: Double($0.1)) },
            xLabel: "Cell type", yLabel: "Images")
        try AtomicText.write(svg, to: URL(fileURLWithPath: path))
    }

    static func useThreads(_ threads: Int) { if threads > 0 { Engine.setThreads(threads) } }
}
