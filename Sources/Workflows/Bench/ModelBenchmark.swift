import CPeak
import Compute
import Determinism
import Foundation
import Imaging
import Models

#if canImport(Glibc)
    import Glibc
#endif

public enum ModelBenchmark {
    /// Refuses a configuration whose input and first layer's output alone exceed the machine's memory (in
    /// evaluation mode one image's output at a time, as chunks run; in training the whole batch's), so an
    /// absurd --batch or --size gets a message rather than an allocation failure deep in the network.
    static func checkFitsInMemory(_ c: BenchmarkConfiguration, physicalMemory: UInt64 = availableMemory()) throws {
        let pixels = Double(c.size) * Double(c.size)
        let input = Double(c.batch) * 3 * pixels * 4
        let stemOutput = Double(c.mode == .train ? c.batch : 1) * 64 * (pixels / 4) * 4
        let needed = input + stemOutput
        guard needed < Double(physicalMemory) else {
            func gb(_ bytes: Double) -> String { String(format: "%.1f GB", bytes / 1e9) }
            throw WorkflowError(
                "bench: batch \(c.batch) at \(c.size)² needs at least \(gb(needed)) for the input and the first layer's output alone, more than the \(gb(Double(physicalMemory))) of memory available; use a smaller \(setting: .batch) or \(setting: .size)"
            )
        }
    }

    /// The machine's memory, or the container's limit (cgroup v2 `memory.max`) when that is lower.
    static func availableMemory() -> UInt64 {
        let physical = ProcessInfo.processInfo.physicalMemory
        guard let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
            let limit = UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else { return physical }
        return min(physical, limit)
    }

    /// Runs the forward (eval mode, fused) or training-step (forward + backward + SGD) benchmark.
    public static func run(_ c: BenchmarkConfiguration, progress: (Int, Double) -> Void = { _, _ in }) throws -> BenchmarkResult {
        // The FMA loop runs its own threads: leave oneDNN's pool as it is.
        if c.mode == .peak { return peak(c) }
        if c.threads > 0 { Engine.setThreads(c.threads) }
        guard c.batch > 0, c.size >= 32, c.repeats > 0 else {
            throw WorkflowError("bench: \(setting: .batch) must be ≥ 1, \(setting: .size) ≥ 32 and \(setting: .repeats) ≥ 1")
        }
        if c.mode == .conv { return try convolution(c) }
        try checkFitsInMemory(c)
        if c.mode == .contrastive { return try contrastive(c, progress: progress) }
        let architecture = try c.validArchitecture()
        // The backbone with an ImageNet-sized classifier on its pooled features (as torchvision's models).
        let net = architecture.makeBackbone(seed: 0)
        var rng = SeededGenerator(seed: 1)
        let pool = GlobalAveragePool()
        let fc = Linear(architecture.featureChannels, 1000, rng: &rng)
        let x = Tensor.randomNormal([c.batch, 3, c.size, c.size], using: &rng)
        let labels = (0..<c.batch).map { _ in rng.nextInt(below: 1000) }
        let optimizer = SGD(net.parameters + fc.parameters, lr: 1e-4, momentum: 0.9)
        net.setTraining(c.mode == .train)

        // Seconds of each training phase, per repetition (forward includes the loss).
        var phases: [String: [Double]] = [:]
        func once() throws {
            switch c.mode {
            case .forward:
                _ = try pool.forward(net.trunk(x)).plain()
            case .train:
                let t0 = monotonicSeconds()
                net.zeroGrad()
                fc.zeroGrad()
                let logits = try fc.forward(pool.forward(net.trunk(x)))
                let loss = try Loss.crossEntropy(logits: logits, labels: labels)
                let t1 = monotonicSeconds()
                try net.backwardTrunkParameters(pool.backward(fc.backward(loss.gradient)))
                let t2 = monotonicSeconds()
                try optimizer.step()
                let t3 = monotonicSeconds()
                for (name, seconds) in [("forward", t1 - t0), ("backward", t2 - t1), ("optimizer", t3 - t2)] {
                    phases[name, default: []].append(seconds)
                }
            case .decode, .conv, .peak, .contrastive:
                throw WorkflowError("bench: \(setting: .benchMode) \(c.mode.rawValue) is measured elsewhere")
            }
        }
        for _ in 0..<c.warmup { try once() }
        phases = [:]
        var times: [Double] = []
        for r in 0..<c.repeats {
            let t0 = monotonicSeconds()
            try once()
            times.append(monotonicSeconds() - t0)
            progress(r + 1, times.last!)
        }
        var result = summarize(c, times)
        if !phases.isEmpty { result.phaseSeconds = phases.mapValues(DecodeBenchmark.median) }
        return result
    }

    /// A SimCLR step on `batch` images at `size`²: two views each (made once, untimed: `augment` is timed
    /// apart), the backbone and projection head forward and backward, NT-Xent, AdamW. `images_per_second`
    /// counts images, not views.
    static func contrastive(_ c: BenchmarkConfiguration, progress: (Int, Double) -> Void) throws -> BenchmarkResult {
        var spec = AutoencoderSpec()
        spec.backbone = BackboneID(try c.validArchitecture())
        spec.kind = .simclr
        spec.imageSize = c.size
        spec.latent = 128
        let model = ContrastiveModel(spec, seed: 0)
        var settings = RunSettings()
        settings.temperature = 0.2
        var rng = SeededGenerator(seed: 1)
        let images = Tensor.randomUniform([c.batch, 3, c.size, c.size], low: -1, high: 1, using: &rng)
        let context = StepContext(normalization: .half, seed: 1, epoch: 0, step: 0, settings: settings)
        let optimizer = Adam.adamW(model.parameters, lr: 1e-3, weightDecay: 1e-4)
        model.setTraining(true)
        var phases: [String: [Double]] = [:]
        var times: [Double] = []
        let t0 = monotonicSeconds()
        let views = try model.views(of: images, context: context)
        let augment = monotonicSeconds() - t0
        for r in 0..<(c.warmup + c.repeats) {
            let a = monotonicSeconds()
            model.zeroGrad()
            let split = try model.step(views: views, pairs: c.batch, temperature: settings.temperature)
            let b = monotonicSeconds()
            try optimizer.step()
            let e = monotonicSeconds()
            guard r >= c.warmup else { continue }
            times.append(e - a)
            for (name, seconds) in [("forward", split.forward), ("backward", b - a - split.forward), ("optimizer", e - b)] {
                phases[name, default: []].append(seconds)
            }
            progress(r - c.warmup + 1, e - a)
        }
        var result = summarize(c, times)
        result.phaseSeconds = phases.mapValues(DecodeBenchmark.median)
        result.phaseSeconds?["augment"] = augment
        return result
    }

    /// The platform check: one 3×3 convolution 256→256 on 56² at the given batch, in oneDNN's chosen layout.
    /// `images_per_second` counts batch items; GFLOP/s = images/s × 2·256·256·9·56² / 1e9.
    static func convolution(_ c: BenchmarkConfiguration) throws -> BenchmarkResult {
        var rng = SeededGenerator(seed: 1)
        let conv = Conv2d(ConvGeometry(inChannels: 256, outChannels: 256, kernel: 3, padding: 1), rng: &rng)
        conv.setTraining(false)
        let x0 = Tensor.randomNormal([c.batch, 256, 56, 56], using: &rng)
        let x = try conv.forward(x0)  // brings x into the primitive's layout
        for _ in 0..<c.warmup { _ = try conv.forward(x) }
        var times: [Double] = []
        for _ in 0..<c.repeats {
            let t0 = monotonicSeconds()
            _ = try conv.forward(x)
            times.append(monotonicSeconds() - t0)
        }
        return summarize(c, times)
    }

    /// The CPU's fp32 FMA peak on `threads` threads (all cores by default): the best of `repeats` half-second runs.
    /// `images_per_second` is meaningless here (0); `gflops_per_second` is the peak.
    static func peak(_ c: BenchmarkConfiguration) -> BenchmarkResult {
        let threads = min(c.threads > 0 ? c.threads : Engine.threads, 256)
        var best = 0.0
        for _ in 0..<c.repeats { best = max(best, wbc_fma_peak_gflops(Int32(threads), 0.5)) }
        return BenchmarkResult(
            configuration: c, imagesPerSecond: 0, medianSeconds: 0, minSeconds: 0, maxSeconds: 0,
            peakRSSBytes: peakResidentBytes(), threads: threads, gflopsPerSecond: best)
    }

    /// The FMA vector width `peak` uses (512, 256, or 0 when the CPU has no FMA).
    public static var peakVectorBits: Int { Int(wbc_fma_peak_width()) }

    /// Convolution FLOPs of one image (or one batch item) in `c`'s mode.
    static func flopsPerImage(_ c: BenchmarkConfiguration) -> Double {
        let trunk = c.architecture?.trunkFLOPs(imageSize: c.size) ?? 0
        let stem = c.architecture?.stemFLOPs(imageSize: c.size) ?? 0
        switch c.mode {
        case .forward: return trunk
        case .train: return 3 * trunk - stem  // no image gradient
        case .contrastive: return 2 * (3 * trunk - stem)
        case .conv: return 2.0 * 256 * 256 * 9 * 56 * 56
        case .decode, .peak: return 0
        }
    }

    static func summarize(_ c: BenchmarkConfiguration, _ times: [Double]) -> BenchmarkResult {
        let m = DecodeBenchmark.median(times)
        return BenchmarkResult(
            configuration: c, imagesPerSecond: Double(c.batch) / m, medianSeconds: m,
            minSeconds: times.min()!, maxSeconds: times.max()!, peakRSSBytes: peakResidentBytes(),
            threads: Engine.threads, gflopsPerSecond: Double(c.batch) / m * flopsPerImage(c) / 1e9)
    }
}

extension BenchmarkConfiguration {
    /// `architecture`, or an error naming the flag.
    func validArchitecture() throws -> any BackboneArchitecture {
        guard let architecture else {
            throw WorkflowError("bench: \(setting: .benchModel) '\(model)' is not one of \(Backbones.names.joined(separator: ", "))")
        }
        return architecture
    }
}
