import ArgumentParser
import Foundation
import Imaging
import Workflows

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cluster, cell type and confidence of new images with a trained run.",
        discussion: "Example: wbc predict --run runs/kaggle cell1.jpeg cell2.png --json")

    @Option(name: .customLong("run"), help: "Run directory with a trained clustering model.") var runPath: String
    @Option(help: "An ImageFolder root: also print the cluster of the first image of each class (the reference's check).")
    var samples: String?
    @Flag(help: "Print JSON.") var json = false
    @Option(help: "oneDNN threads (0 = all cores).") var threads: Int = 0
    @Option(help: "Refuse images above this many megapixels (default: the run's, \(PresetValues.base.maxMegapixels) unless set).") var maxMegapixels: Double?
    @Argument(help: "Image files.") var images: [String] = []

    func validate() throws {
        try validateThreads(threads)
        try validateMegapixels(maxMegapixels)
        if images.isEmpty && samples == nil { throw ValidationError("give one or more image files, or --samples DIR") }
    }

    func run() throws {
        try reportingErrors {
            let firsts = try samples.map { try Pipeline.firstImageOfEachClass(in: $0) } ?? []
            let (sampleClasses, samplePaths) = (firsts.map(\.className), firsts.map(\.path))
            let (predictions, skipped, warnings) = try Pipeline.predict(
                runPath: runPath, images: images + samplePaths, threads: threads, maxMegapixels: maxMegapixels,
                progress: SilentProgress())
            if json {
                let enc = JSONEncoder()
                enc.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try enc.encode(predictions), as: UTF8.self))
            } else {
                for p in predictions {
                    print(String(format: "%@  cluster %d  %@  confidence %.3f", p.path, p.cluster, p.cellType, p.confidence))
                }
                if !sampleClasses.isEmpty {
                    print("first image of each class folder:")
                    let byPath = Dictionary(predictions.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
                    for (name, path) in zip(sampleClasses, samplePaths) {
                        if let p = byPath[path] {
                            print("  \(name) → cluster \(p.cluster) (\(p.cellType))")
                        } else {
                            print("  \(name): \(path) could not be read")
                        }
                    }
                }
            }
            for w in warnings { FileHandle.standardError.write(Data("warning: \(w) (the image was read whole and is used)\n".utf8)) }
            for s in skipped { FileHandle.standardError.write(Data("skipped: \(s)\n".utf8)) }
            if predictions.isEmpty { throw WorkflowError("no image could be read; see the skipped files above") }
        }
    }
}
