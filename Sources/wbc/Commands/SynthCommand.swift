import ArgumentParser
import Foundation
import Imaging
import Workflows

/// `wbc synth`: render a synthetic four-class blood-smear data set.
struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Render synthetic blood-smear images (EOSINOPHIL, LYMPHOCYTE, MONOCYTE, NEUTROPHIL).",
        discussion: """
            Writes OUT/<CLASS>/synth_NNNNN.jpeg (ImageFolder layout) and OUT/labels.csv. The same seed gives the same images.
            Example: wbc synth --out synthetic --per-class 50 --seed 3
            """
    )

    @Option(name: .long, help: "Output folder (created if needed).")
    var out: String

    @Option(name: .customLong("per-class"), help: "Images per class.")
    var perClass: Int = 100

    @Option(
        help: """
            Five types in blood's proportions instead of four equal ones: shares of NEUTROPHIL, LYMPHOCYTE, MONOCYTE, \
            EOSINOPHIL and BASOPHIL, e.g. 0.6,0.3,0.06,0.03,0.01 (with --total).
            """)
    var proportions: String?

    @Option(help: "Images in all, with --proportions.")
    var total: Int = 500

    @Option(name: .long, help: "Random seed.")
    var seed: UInt64 = 1

    @Option(name: .long, parsing: .upToNextOption, help: "Image width and height in pixels, e.g. --size 320 240.")
    var size: [Int] = [320, 240]

    func validate() throws {
        guard perClass > 0 else { throw ValidationError("--per-class must be at least 1, e.g. --per-class 50") }
        if proportions != nil {
            guard let shares = try? parsedProportions(), shares.count == CellType.bloodOrder.count, shares.allSatisfy({ $0 >= 0 }),
                shares.reduce(0, +) > 0
            else { throw ValidationError("--proportions takes five non-negative shares separated by commas, e.g. 0.6,0.3,0.06,0.03,0.01") }
            guard total >= 5 else { throw ValidationError("--total must be at least 5 (got \(total))") }
        }
        guard size.count == 2, size.allSatisfy({ $0 >= 32 && $0 <= 4096 }) else {
            throw ValidationError("--size takes a width and a height between 32 and 4096, e.g. --size 320 240")
        }
    }

    func run() throws {
        try reportingErrors { try write() }
    }

    private func write() throws {
        let counts =
            try proportions.map { _ in SyntheticSmears.counts(total: total, proportions: try parsedProportions()) }
            ?? Dictionary(uniqueKeysWithValues: CellType.kaggle.map { ($0, perClass) })
        let summary = try Pipeline.synthesize(out: out, counts: counts, seed: seed, size: ImageSize(width: size[0], height: size[1]))
        for type in CellType.allCases where summary.counts[type] != nil {
            print("\(type.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) \(summary.counts[type] ?? 0)")
        }
        print("Wrote \(summary.files.count) images (\(size[0])x\(size[1]), seed \(seed)) and \(summary.labelsFile.path)")
    }

    private func parsedProportions() throws -> [Double] {
        try (proportions ?? "").split(separator: ",").map {
            guard let v = Double($0.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("--proportions: '\($0)' is not a number") }
            return v
        }
    }
}
