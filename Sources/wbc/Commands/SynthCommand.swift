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

    @Option(name: .long, help: "Random seed.")
    var seed: UInt64 = 1

    @Option(name: .long, parsing: .upToNextOption, help: "Image width and height in pixels, e.g. --size 320 240.")
    var size: [Int] = [320, 240]

    func validate() throws {
        guard perClass > 0 else { throw ValidationError("--per-class must be at least 1, e.g. --per-class 50") }
        guard size.count == 2, size.allSatisfy({ $0 >= 32 && $0 <= 4096 }) else {
            throw ValidationError("--size takes a width and a height between 32 and 4096, e.g. --size 320 240")
        }
    }

    func run() throws {
        try reportingErrors { try write() }
    }

    private func write() throws {
        let summary = try Pipeline.synthesize(out: out, perClass: perClass, seed: seed, size: ImageSize(width: size[0], height: size[1]))
        for type in CellType.allCases {
            print("\(type.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) \(summary.counts[type] ?? 0)")
        }
        print("Wrote \(summary.files.count) images (\(size[0])x\(size[1]), seed \(seed)) and \(summary.labelsFile.path)")
    }
}
