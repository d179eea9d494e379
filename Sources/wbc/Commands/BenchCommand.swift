import ArgumentParser
import Foundation
import Imaging
import Models
import Workflows

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure throughput: a backbone's forward (eval) or training step, or image decoding.",
        discussion: """
            Prints images/s as the median over repetitions after warm-up, the spread, and peak memory.
            Example: wbc bench --model resnet50 --mode train --batch 16 --size 96 --repeat 5
            """)

    @Option(help: "The backbone to time (resnet18, resnet50, efficientnet-lite0, …).") var model: BackboneID = .resnet50
    @Option(
        help:
            "forward, train, contrastive (a SimCLR step: two views per image), decode, conv (one 3×3 256→256 convolution at 56²) or peak (the CPU's fp32 FMA peak)."
    ) var mode: BenchmarkConfiguration.Mode = .forward
    @Option(help: "Images per batch.") var batch: Int = 16
    @Option(help: "Image side in pixels.") var size: Int = 224
    @Option(help: "oneDNN threads (0 = all cores).") var threads: Int = 0
    @Option(name: .customLong("repeat"), help: "Timed repetitions after warm-up.") var repeats: Int = 10
    @Option(help: "Untimed warm-up repetitions.") var warmup: Int = 2
    @Option(help: "Base width of the ResNet (64 = torchvision's; 32 = a quarter of the FLOPs).") var width: Int = 64
    @Option(help: "Image folder for --mode decode.") var data: String?
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard size >= 32 else { throw ValidationError("--size must be at least 32") }
        guard repeats >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard warmup >= 0 else { throw ValidationError("--warmup must not be negative") }
        try validateThreads(threads)
        if !ResNetArchitecture.widths.contains(width) { throw ValidationError("--width must be a multiple of 8 from 8 to 128 (got \(width))") }
        if width != ResNetDepth.standardWidth && ResNetDepth(rawValue: model.rawValue) == nil {
            throw ValidationError("--width is for the ResNets; \(model) has one width (leave --width out)")
        }
        if mode == .decode && data == nil { throw ValidationError("--mode decode needs --data DIR (a folder of images)") }
    }

    func run() throws {
        try reportingErrors(Flags(overrides: [.benchModel: "--model", .benchMode: "--mode"])) { try measure() }
    }

    private func measure() throws {
        if mode == .decode { return try runDecode() }
        var c = BenchmarkConfiguration()
        c.model = model
        c.mode = mode
        c.batch = batch
        c.width = width
        c.size = size
        c.threads = threads
        c.repeats = repeats
        c.warmup = warmup
        let result = try Pipeline.bench(c) { i, t in
            if !json { FileHandle.standardError.write(Data(String(format: "\r  repetition %d/%d: %.3f s", i, repeats, t).utf8)) }
        }
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            print(String(decoding: try enc.encode(result), as: UTF8.self))
        } else {
            FileHandle.standardError.write(Data("\n".utf8))
            switch c.mode {
            case .peak:
                print(
                    String(
                        format: "fp32 FMA peak, %d-bit vectors, %d threads: %.1f GFLOP/s", ModelBenchmark.peakVectorBits,
                        result.threads, result.gflopsPerSecond))
            case .conv:
                print(
                    String(
                        format: "conv 3x3 256->256 at 56², batch %d, %d threads: %.1f GFLOP/s (median %.4f s; convolutions: %@)", batch,
                        result.threads, result.gflopsPerSecond, result.medianSeconds, convolutions(result)))
            default:
                print(
                    String(
                        format:
                            "%@ %@ batch %d at %d², %d threads: %.2f images/s = %.0f conv GFLOP/s (median %.4f s, min %.4f, max %.4f), peak RSS %.0f MB; convolutions: %@",
                        c.architecture?.name ?? model.rawValue, mode.rawValue, batch, size, result.threads, result.imagesPerSecond, result.gflopsPerSecond,
                        result.medianSeconds,
                        result.minSeconds, result.maxSeconds, Double(result.peakRSSBytes) / 1e6, convolutions(result)))
                if let p = result.phaseSeconds {
                    print(
                        String(
                            format: "  per step (medians): forward + loss %.4f s, backward %.4f s, optimizer %.4f s",
                            p["forward"] ?? 0, p["backward"] ?? 0, p["optimizer"] ?? 0))
                    if let augment = p["augment"] { print(String(format: "  two augmented views of the batch (untimed above): %.3f s", augment)) }
                }
            }
        }
    }

    /// The 3×3 algorithm and the inference convolutions' kernels, with the variables that set them.
    private func convolutions(_ r: BenchmarkResult) -> String {
        "3×3 algorithm \(r.convolutionAlgorithm ?? "?") (WBC_CONV_ALGORITHM), inference kernels \(r.convolutionImplementation ?? "?") (WBC_CONV_IMPL)"
    }

    /// Decode + crop + resize throughput of the images in --data (one thread, then all cores).
    func runDecode() throws {
        let r = try Pipeline.benchDecode(
            data: data!, options: PreprocessOptions(side: size), passes: repeats,
            threads: threads > 0 ? threads : availableCores
        ).result
        if json {
            struct Out: Encodable {
                var images_per_second: Double
                var images_per_second_one_thread: Double
                var files: Int
                var side: Int
                var cores: Int
                var failures: Int
            }
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            print(
                String(
                    decoding: try enc.encode(
                        Out(
                            images_per_second: r.allCoresImagesPerSecond, images_per_second_one_thread: r.singleThreadImagesPerSecond,
                            files: r.files, side: r.side, cores: r.cores, failures: r.failures)), as: UTF8.self))
        } else {
            print(
                String(
                    format: "decode+resize to %d² of %d files: %.0f images/s on 1 thread, %.0f on %d cores (%d failures)",
                    size, r.files, r.singleThreadImagesPerSecond, r.allCoresImagesPerSecond, r.cores, r.failures))
        }
    }
}
