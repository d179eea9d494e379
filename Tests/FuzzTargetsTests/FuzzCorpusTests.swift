import Foundation
import Testing

@testable import Compute
@testable import FuzzTargets
@testable import Imaging
@testable import Models

/// The seeds fuzzing starts from, generated as `Scripts/fuzz.sh` generates them, go through their readers in CI
/// without the fuzzer. Each finding of fuzzing becomes a unit test beside its reader that builds the input
/// (e.g. `bitFieldMasksWithGapsAreRefused`), so the repository holds no fuzz inputs.
@Suite struct FuzzCorpusTests {
    /// The `.pth` target's seeds are PyTorch-written fixtures (ModelsTests replays them), so none are generated.
    static let generated = FuzzTarget.allCases.filter { $0 != .pth }

    @Test(arguments: generated)
    func everySeedIsReadOrRefused(_ target: FuzzTarget) throws {
        let seeds = try target.seeds()
        #expect(!seeds.isEmpty, "no seeds for \(target.rawValue)")
        for seed in seeds { target.run(seed.bytes) }
        #expect(!target.dictionary.isEmpty)
    }

    /// The seeds are valid inputs, so the readers accept them: fuzzing starts from the code paths that matter.
    @Test func seedsAreAccepted() throws {
        func seeds(_ target: FuzzTarget) throws -> [Data] { try target.seeds().map(\.bytes) }
        for target in [FuzzTarget.jpeg, .png, .bmp] {
            for data in try seeds(target) { #expect(try ImageDecoding.decode(data).width > 0) }
        }
        #expect(try ImageDecoding.decode(try seeds(.jpeg)[2]).width == 16)  // the EXIF seed is shown turned
        for data in try seeds(.safetensors) { #expect(try !SafeTensorsFile(data: data).names.isEmpty) }
        for data in try seeds(.labels) { #expect(try !LabelsTable.read(data: data, path: "labels.csv").rows.isEmpty) }
        // The tree seeds make class folders with images, loose images and a dangling link.
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("wbc-fuzz-seed-\(UUID())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let loose = try #require(try FuzzTarget.folder.seeds().first { $0.name == "loose.tree" })
        FolderTree([UInt8](loose.bytes)).write(under: root)
        let dataset = try ImageDataset.imageFolder(at: root)
        #expect(dataset.classNames == ["A", "B"] && dataset.samples.count == 2)
        #expect(dataset.skipped.countsByCategory["empty class folder"] == 1)
        #expect(dataset.skipped.countsByCategory["outside class folders"] == 1)
    }
}
