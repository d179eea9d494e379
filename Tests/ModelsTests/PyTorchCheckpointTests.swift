import Compute
import Foundation
import Testing

@testable import Models

@Suite("PyTorch checkpoints: reading torch.save fixtures")
struct PyTorchCheckpointTests {
    typealias Fixtures = CheckpointFixtures

    private func expectMatches(_ checkpoint: PyTorchCheckpoint, group: String) throws {
        let expected = try Fixtures.expected()
        #expect(checkpoint.descriptions.map(\.name) == Fixtures.tinyNames)
        #expect(checkpoint.floatTensors.map(\.name) == Fixtures.tinyNames.filter { $0 != "bn.num_batches_tracked" })
        for named in checkpoint.floatTensors {
            let reference = try expected.floatTensor(named: "\(group)/\(named.name)")
            #expect(named.tensor.shape == reference.shape, "\(named.name)")
            #expect(named.tensor.values.map(\.bitPattern) == reference.values.map(\.bitPattern), "\(named.name)")
        }
        #expect(checkpoint.integerTensors.map(\.name) == ["bn.num_batches_tracked"])
        #expect(checkpoint.integerTensors.first?.tensor == (try HostIntegerTensor(shape: [], values: [1])))
    }

    @Test func float32StateDictReadsExactly() throws {
        let checkpoint = try PyTorchCheckpoint(contentsOf: try Fixtures.url("tiny_f32"))
        try expectMatches(checkpoint, group: "f32")
        #expect(checkpoint.wrapperKey == nil)
        #expect(checkpoint.descriptions.first == TensorDescription(name: "conv.weight", dtype: .F32, shape: [4, 3, 3, 3]))
        #expect(checkpoint.descriptions.first { $0.name == "bn.num_batches_tracked" }?.dtype == .I64)
    }

    @Test func float16AndBFloat16StorageConvertLikeTorch() throws {
        let f16 = try PyTorchCheckpoint(contentsOf: try Fixtures.url("tiny_f16"))
        try expectMatches(f16, group: "f16")
        #expect(f16.descriptions.first?.dtype == .F16)
        let bf16 = try PyTorchCheckpoint(contentsOf: try Fixtures.url("tiny_bf16"))
        try expectMatches(bf16, group: "bf16")
        #expect(bf16.descriptions.first?.dtype == .BF16)
    }

    @Test func wrappingCheckpointDictIsUnwrappedAndModulePrefixesStripped() throws {
        let checkpoint = try PyTorchCheckpoint(contentsOf: try Fixtures.url("tiny_checkpoint"))
        #expect(checkpoint.wrapperKey == "state_dict")
        try expectMatches(checkpoint, group: "f32")
    }

    @Test func sharedStoragesStridedViewsAndOffsetsAreMaterialised() throws {
        let checkpoint = try PyTorchCheckpoint(contentsOf: try Fixtures.url("shared_views"))
        let expected = try Fixtures.expected()
        #expect(checkpoint.floatTensors.map(\.name) == ["base", "row_slice", "transposed", "column", "tied", "half_tail"])
        for named in checkpoint.floatTensors {
            #expect(named.tensor == (try expected.floatTensor(named: "views/\(named.name)")), "\(named.name)")
        }
        let byName = Dictionary(uniqueKeysWithValues: checkpoint.floatTensors.map { ($0.name, $0.tensor) })
        #expect(byName["transposed"]?.shape == [6, 4])
        #expect(byName["tied"] == byName["base"])
    }

    @Test func forbiddenGlobalIsRefusedByName() throws {
        let error = try #require(Fixtures.failure { _ = try PyTorchCheckpoint(contentsOf: try Fixtures.url("forbidden_global")) })
        #expect(error.reason == .forbiddenGlobal("os.system"))
        #expect(error.description.contains("os.system") && error.description.contains("nothing was executed"))
    }

    @Test func truncatedArchiveIsRefused() throws {
        let error = try #require(Fixtures.failure { _ = try PyTorchCheckpoint(contentsOf: try Fixtures.url("truncated")) })
        switch error.reason {
        case .archiveMalformed, .missingEntry: break
        default: Issue.record("unexpected reason \(error.reason)")
        }
        #expect(error.file.hasSuffix("truncated.pth"))
    }

    /// `torch.save(state, path, _use_new_zipfile_serialization=False)` of the same state as tiny_f32.
    @Test func legacyFormatReadsExactly() throws {
        let checkpoint = try PyTorchCheckpoint(contentsOf: try Fixtures.url("legacy"))
        try expectMatches(checkpoint, group: "f32")
    }

    /// A legacy file cut anywhere, or whose storage sizes disagree with its tensors, is refused with its name.
    @Test func damagedLegacyFilesAreRefusedNamingTheFile() throws {
        let whole = try Data(contentsOf: try Fixtures.url("legacy"))
        for cut in [8, 20, 140, 700, 1_120, whole.count - 600, whole.count - 1] {
            let error = try #require(Fixtures.failure { _ = try PyTorchCheckpoint(data: whole.prefix(cut), file: "cut.pth") }, "cut at \(cut)")
            #expect(error.file == "cut.pth")
            switch error.reason {
            case .legacyMalformed, .pickleMalformed: break
            default: Issue.record("cut at \(cut): \(error.reason)")
            }
        }
        // The first storage's element count, changed.
        let keysEnd = try #require(whole.range(of: Data([0x65, 0x2E]), in: 1_117..<whole.count)).upperBound
        var wrongCount = whole
        wrongCount[keysEnd] &+= 1
        let error = try #require(Fixtures.failure { _ = try PyTorchCheckpoint(data: wrongCount, file: "count.pth") })
        #expect(error.reason == .legacyMalformed("storage '94341203369120' holds 5 elements, but its tensors were saved with 4"))
        #expect(error.description.contains("count.pth") && error.description.contains("re-download or re-save"))
        // Bytes after the last storage are not silently ignored.
        #expect(
            Fixtures.failure { _ = try PyTorchCheckpoint(data: whole + Data([0]), file: "tail.pth") }?.reason
                == .legacyMalformed("1 bytes follow the last storage"))
    }

    @Test func otherBytesAreNotACheckpoint() {
        let error = Fixtures.failure { _ = try PyTorchCheckpoint(data: Data("hello world".utf8), file: "x.pth") }
        #expect(error?.reason == .notACheckpoint)
        #expect(Fixtures.failure { _ = try PyTorchCheckpoint(data: Data(), file: "empty.pth") }?.reason == .notACheckpoint)
    }
}
