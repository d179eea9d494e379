import Dispatch
import Foundation

/// Decode + resize speed, for `wbc bench --mode decode`.
public struct DecodeBenchmarkResult: Sendable, Codable {
    /// Files measured per pass.
    public var files: Int
    /// Output side S.
    public var side: Int
    /// Crop mode used.
    public var crop: CropMode
    /// Images per second on one thread, median over passes.
    public var singleThreadImagesPerSecond: Double
    /// Images per second on `cores` threads, median over passes.
    public var allCoresImagesPerSecond: Double
    /// Threads used for the parallel figure.
    public var cores: Int
    /// Files that failed to decode (they still count in the timing).
    public var failures: Int
    /// Share of decoded files where a nucleus was found (crop mode `.nucleus` only).
    public var nucleusFoundShare: Double?
}

/// Measures reading, decoding and resizing a list of files to S×S RGB8 (the loader's per-image work,
/// without normalisation), one thread and then all cores.
///
/// ```swift
/// let r = DecodeBenchmark.run(files: urls, options: PreprocessOptions(side: 224), passes: 3)
/// print(r.singleThreadImagesPerSecond, r.allCoresImagesPerSecond)
/// ```
public enum DecodeBenchmark {
    public static func run(
        files: [URL], options: PreprocessOptions = PreprocessOptions(), passes: Int = 3,
        threads: Int = availableCores
    ) -> DecodeBenchmarkResult {
        var failures = 0
        var found = 0
        // Warm-up pass (page cache, allocator), also counts failures and found nuclei.
        for url in files {
            if let p = try? options.preprocess(url) { if p.nucleusFound == true { found += 1 } } else { failures += 1 }
        }
        let share = options.crop == .nucleus && files.count > failures ? Double(found) / Double(files.count - failures) : nil
        var single: [Double] = []
        var parallel: [Double] = []
        for _ in 0..<max(1, passes) {
            single.append(measure(files: files, options: options, threads: 1))
            parallel.append(measure(files: files, options: options, threads: threads))
        }
        return DecodeBenchmarkResult(
            files: files.count, side: options.side, crop: options.crop,
            singleThreadImagesPerSecond: median(single), allCoresImagesPerSecond: median(parallel),
            cores: threads, failures: failures, nucleusFoundShare: share)
    }

    /// Images per second for one pass over `files` on `threads` threads.
    public static func measure(files: [URL], options: PreprocessOptions, threads: Int) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        let done = parallelMap(count: files.count, threads: threads) { i in (try? options.preprocess(files[i])) != nil }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Double(done.count) / max(seconds, 1e-9)
    }

    /// The median (the mean of the middle two for an even count); 0 when empty. Also used by `wbc bench`'s model modes.
    public static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        guard !s.isEmpty else { return 0 }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
