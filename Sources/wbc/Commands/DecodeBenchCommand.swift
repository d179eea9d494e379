import ArgumentParser
import Foundation
import Imaging
import Workflows

/// `wbc decode-bench` (hidden): decode + resize speed on a folder, used by Benchmarks/compare-pillow.sh.
struct DecodeBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode-bench",
        abstract: "Measure decode + resize to SxS of image files (images/s, one thread and all cores).",
        shouldDisplay: false
    )

    @Option(name: .long, help: "Image folder (ImageFolder layout or flat).")
    var data: String

    @Option(name: .long, help: "Output side S.")
    var size: Int = 224

    @Option(name: .long, help: "Crop before resizing.")
    var crop: CropMode = .none

    @Option(name: .long, help: "Use at most this many files (taken evenly across the sorted list).")
    var limit: Int = 500

    @Option(name: .long, help: "Timed passes; the median is reported.")
    var passes: Int = 3

    @Option(name: .long, help: "Threads for the parallel figure (0 or absent: all cores).")
    var threads: Int?

    @Option(name: .long, help: "Write the list of files measured to this path (one per line), for a Pillow run on the same files.")
    var listOut: String?

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        guard size >= 8 else { throw ValidationError("--size must be at least 8, e.g. --size 224") }
        guard limit > 0, passes > 0 else { throw ValidationError("--limit and --passes must be positive") }
        try validateThreads(threads)
    }

    func run() throws {
        try reportingErrors { try measure() }
    }

    private func measure() throws {
        let (result, files) = try Pipeline.benchDecode(
            data: data, options: PreprocessOptions(side: size, crop: crop), passes: passes,
            threads: threads.flatMap { $0 > 0 ? $0 : nil } ?? availableCores, limit: limit)
        if let listOut {
            try (files.map(\.path).joined(separator: "\n") + "\n").write(toFile: listOut, atomically: true, encoding: .utf8)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            print(
                String(
                    format: "%d files, %dx%d, crop %@: %.0f images/s on 1 thread, %.0f images/s on %d threads (%d failed)",
                    result.files, size, size, crop.rawValue, result.singleThreadImagesPerSecond,
                    result.allCoresImagesPerSecond, result.cores, result.failures))
            if let share = result.nucleusFoundShare {
                print(String(format: "nucleus found in %.1f%% of the images", share * 100))
            }
        }
    }
}
