import Compute
import Foundation
import Testing

@testable import Models
@testable import Workflows

@Suite("wbc bench")
struct BenchmarkTests {
    /// A ResNet-18 benchmark small enough for a test: batch 2 at 64², one warm-up.
    func small(_ mode: BenchmarkConfiguration.Mode, repeats: Int) -> BenchmarkConfiguration {
        var c = BenchmarkConfiguration()
        c.model = .resnet18
        c.mode = mode
        c.batch = 2
        c.size = 64
        c.repeats = repeats
        c.warmup = 1
        return c
    }

    @Test func sizesBeyondTheMachinesMemoryAreRefusedUpFront() throws {
        var c = small(.forward, repeats: 1)
        c.size = 100_000
        let error = #expect(throws: WorkflowError.self) { try ModelBenchmark.run(c) }
        #expect(error?.description.contains("use a smaller") == true && error?.settings == [.batch, .size], "\(error?.description ?? "")")
        #expect(error?.message.contains("100000²") == true)
        // The check counts the input and the stem's output: 0.01 GB for ResNet-50's training benchmark at batch 16,
        // 0.72 GB at batch 1024.
        var train = BenchmarkConfiguration()
        train.mode = .train
        train.size = 96
        #expect(throws: Never.self) { try ModelBenchmark.checkFitsInMemory(train, physicalMemory: 24_000_000_000) }
        train.batch = 1024
        #expect(throws: WorkflowError.self) { try ModelBenchmark.checkFitsInMemory(train, physicalMemory: 500_000_000) }
    }

    @Test func forwardReportsImagesAndConvolutionRate() throws {
        let c = small(.forward, repeats: 3)
        let r = try ModelBenchmark.run(c)
        #expect(r.imagesPerSecond > 0 && r.minSeconds <= r.medianSeconds && r.medianSeconds <= r.maxSeconds)
        // GFLOP/s is images/s × the trunk's convolution FLOPs.
        let expected = r.imagesPerSecond * ResNetDepth.resnet18.trunkFLOPs(size: 64) / 1e9
        #expect(abs(r.gflopsPerSecond - expected) <= 1e-9 * expected)
        #expect(r.peakRSSBytes > 0)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(r)) as? [String: Any]
        for key in ["images_per_second", "median_seconds", "peak_rss_bytes", "gflops_per_second", "convolution_algorithm"] {
            #expect(json?[key] != nil, "JSON lacks \(key)")
        }
        // A training step: forward, both gradients, less the stem's input gradient that training skips.
        var t = c
        t.mode = .train
        let trunk = ResNetDepth.resnet18.trunkFLOPs(size: 64)
        let stem = ResNetDepth.resnet18.stemFLOPs(size: 64)
        #expect(ModelBenchmark.flopsPerImage(t) == 3 * trunk - stem)
    }

    /// A training step reports its phases; each lies within a step, and the forward benchmark has none.
    @Test func trainingReportsItsPhases() throws {
        let r = try ModelBenchmark.run(small(.train, repeats: 2))
        let phases = try #require(r.phaseSeconds)
        #expect(Set(phases.keys) == ["forward", "backward", "optimizer"])
        for (name, seconds) in phases { #expect(seconds > 0 && seconds <= r.maxSeconds, "\(name): \(seconds) s") }
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(r)) as? [String: Any]
        #expect(json?["phase_seconds"] != nil)
        #expect(try ModelBenchmark.run(small(.forward, repeats: 1)).phaseSeconds == nil)
    }

    /// Any backbone by name: EfficientNet-Lite0's forward and training step, with its own FLOPs.
    @Test func efficientNetLiteByName() throws {
        var c = small(.forward, repeats: 1)
        c.model = BackboneID(rawValue: "efficientnet-lite0")
        let r = try ModelBenchmark.run(c)
        #expect(r.imagesPerSecond > 0)
        let flops = EfficientNetLiteVariant.lite0.configuration.trunkFLOPs(size: 64)
        #expect(abs(r.gflopsPerSecond - r.imagesPerSecond * flops / 1e9) <= 1e-9 * r.gflopsPerSecond)
        c.mode = .train
        #expect(try ModelBenchmark.run(c).phaseSeconds?.keys.contains("backward") == true)
        c.model = BackboneID(rawValue: "efficientnet-lite9")
        let error = #expect(throws: WorkflowError.self) { try ModelBenchmark.run(c) }
        #expect(error?.description.contains("efficientnet-lite4") == true)
    }

    @Test func peakMeasuresTheFMARate() throws {
        var c = BenchmarkConfiguration()
        c.mode = .peak
        c.repeats = 1
        c.threads = 1
        let r = try ModelBenchmark.run(c)
        #expect([0, 256, 512].contains(ModelBenchmark.peakVectorBits))
        if ModelBenchmark.peakVectorBits > 0 {
            // At least one 256-bit FMA per 10 ns: any FMA-capable core is far above this.
            #expect(r.gflopsPerSecond > 1.6 && r.gflopsPerSecond.isFinite)
        } else {
            #expect(r.gflopsPerSecond == 0)
        }
        #expect(r.threads == 1)
    }
}
