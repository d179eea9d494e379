import Foundation
import Testing

@testable import Compute
@testable import FuzzTargets
@testable import Imaging
@testable import Models

/// Every input of the fuzz corpus (the seeds, and each crash, hang or over-allocation fuzzing found, kept as
/// `Corpus/<target>/regression-*`) goes through its reader in CI, without the fuzzer. A reader that crashes
/// on one fails the whole test run; a finding fixed once stays fixed.
@Suite struct FuzzCorpusTests {
    static let corpus = Bundle.module.resourceURL!.appendingPathComponent("Corpus")

    static func inputs(_ target: FuzzTarget) -> [URL] {
        let folder = corpus.appendingPathComponent(target.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().map { folder.appendingPathComponent($0) }
    }

    @Test(arguments: FuzzTarget.allCases)
    func everyCorpusInputIsReadOrRefused(_ target: FuzzTarget) throws {
        let inputs = Self.inputs(target)
        #expect(!inputs.isEmpty, "no seed corpus for \(target.rawValue)")
        for url in inputs { target.run(try Data(contentsOf: url)) }
    }

    /// The committed seeds are what `wbc-fuzz --make-corpus` writes today (the `.pth` seeds are copies of the
    /// PyTorch-written fixtures).
    @Test(arguments: FuzzTarget.allCases.filter { $0 != .pth })
    func seedsMatchTheirGenerator(_ target: FuzzTarget) throws {
        for seed in try target.seeds() {
            let committed = try Data(contentsOf: Self.corpus.appendingPathComponent(target.rawValue).appendingPathComponent(seed.name))
            #expect(committed == seed.bytes, "\(target.rawValue)/\(seed.name) differs; run Scripts/fuzz.sh --corpus")
        }
    }

    /// The seeds are valid inputs, so the readers accept them: fuzzing starts from the code paths that matter.
    @Test func seedsAreAccepted() throws {
        func seeds(_ target: FuzzTarget) throws -> [Data] {
            try Self.inputs(target).filter { !$0.lastPathComponent.hasPrefix("regression-") }.map { try Data(contentsOf: $0) }
        }
        for target in [FuzzTarget.jpeg, .png, .bmp] {
            for data in try seeds(target) { #expect(try ImageDecoding.decode(data).width > 0) }
        }
        for data in try seeds(.safetensors) { #expect(try !SafeTensorsFile(data: data).names.isEmpty) }
        #expect(try seeds(.pth).contains { (try? PyTorchCheckpoint(data: $0)) != nil })
        for data in try seeds(.labels) { #expect(try !LabelsTable.read(data: data, path: "labels.csv").rows.isEmpty) }
        // The tree seeds make class folders with images, loose images and a dangling link.
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("wbc-fuzz-seed-\(UUID())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        FolderTree([UInt8](try Data(contentsOf: Self.corpus.appendingPathComponent("folder/loose.tree")))).write(under: root)
        let dataset = try ImageDataset.imageFolder(at: root)
        #expect(dataset.classNames == ["A", "B"] && dataset.samples.count == 2)
        #expect(dataset.skipped.countsByCategory["empty class folder"] == 1)
        #expect(dataset.skipped.countsByCategory["outside class folders"] == 1)
    }
}
