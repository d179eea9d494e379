import Compute
import Foundation
import Testing

@testable import Models

@Suite("importing ResNet weights")
struct WeightImportTests {
    /// A complete resnet18 state dict in memory, values = index-based pattern, optionally transformed.
    private func resnet18Contents(rename: (String) -> String = { $0 }) throws -> CheckpointContents {
        let spec = ResNetSpec(.resnet18)
        var floats: [NamedTensor] = []
        var integers: [NamedIntegerTensor] = []
        for (i, parameter) in spec.parameters.enumerated() {
            if parameter.isInteger {
                integers.append(NamedIntegerTensor(name: rename(parameter.name), tensor: try HostIntegerTensor(shape: [], values: [Int64(i)])))
            } else {
                let count = parameter.shape.reduce(1, *)
                floats.append(
                    NamedTensor(
                        name: rename(parameter.name),
                        tensor: try HostTensor(shape: parameter.shape, values: [Float](repeating: Float(i), count: count))))
            }
        }
        return CheckpointContents(format: .safetensors, floatTensors: floats, integerTensors: integers)
    }

    @Test func completeStateDictImportsInSpecOrder() throws {
        let report = try WeightImport.importResNet(contents: try resnet18Contents(), source: "mem", arch: .resnet18)
        #expect(report.isComplete)
        let spec = ResNetSpec(.resnet18)
        #expect(report.tensors.map(\.name) == spec.parameters.filter { !$0.isInteger }.map(\.name))
        #expect(report.integerTensors.count == 20)
        #expect(report.tensors.first?.tensor.values.first == 0)
        #expect(report.defaulted.isEmpty && report.renamedKeys == 0)
    }

    @Test func dataParallelAndCompilePrefixesAreStripped() throws {
        let report = try WeightImport.importResNet(
            contents: try resnet18Contents { "module._orig_mod.\($0)" },
            source: "mem", arch: .resnet18)
        #expect(report.isComplete)
        #expect(report.renamedKeys == 122)
    }

    @Test func missingUnexpectedAndMisShapedTensorsAreRefusedUnlessPartial() throws {
        var contents = try resnet18Contents()
        contents.floatTensors.removeAll { $0.name == "layer2.1.conv2.weight" }
        contents.floatTensors.append(NamedTensor(name: "head.fc.weight", tensor: try HostTensor(shape: [1], values: [0])))
        let fc = try #require(contents.floatTensors.firstIndex { $0.name == "fc.weight" })
        contents.floatTensors[fc].tensor = try HostTensor(shape: [10, 512], values: [Float](repeating: 0, count: 5120))

        let error = try #require(throws: WeightImportError.self) {
            try WeightImport.importResNet(contents: contents, source: "my.pth", arch: .resnet18)
        }
        #expect(error.description.contains("layer2.1.conv2.weight") && error.description.contains("head.fc.weight"))
        #expect(error.description.contains("fc.weight [10, 512] (expected [1000, 512])"))
        #expect(error.description.contains("partial: true"))

        let report = try WeightImport.importResNet(contents: contents, source: "my.pth", arch: .resnet18, partial: true)
        #expect(report.missing == ["layer2.1.conv2.weight"])
        #expect(report.unexpected == ["head.fc.weight"])
        #expect(report.shapeMismatches == [ShapeMismatch(name: "fc.weight", expected: [1000, 512], found: [10, 512])])
        #expect(!report.tensors.contains { $0.name == "fc.weight" || $0.name == "layer2.1.conv2.weight" })
        #expect(report.tensors.count == 102 - 2)  // resnet18: 122 keys, 20 of them counters
    }

    @Test func integerTensorWhereAFloatWeightBelongsIsAlwaysRefused() throws {
        var contents = try resnet18Contents()
        contents.floatTensors.removeAll { $0.name == "conv1.weight" }
        contents.integerTensors.append(
            NamedIntegerTensor(
                name: "conv1.weight",
                tensor: try HostIntegerTensor(shape: [1], values: [1])))
        contents.descriptions =
            contents.floatTensors.map { TensorDescription(name: $0.name, dtype: .F32, shape: $0.tensor.shape) }
            + contents.integerTensors.map { TensorDescription(name: $0.name, dtype: .I64, shape: $0.tensor.shape) }
        let error = try #require(throws: WeightImportError.self) {
            try WeightImport.importResNet(contents: contents, source: "int.safetensors", arch: .resnet18, partial: true)
        }
        #expect(error.description.contains("conv1.weight (stored as I64, expected float)"))
    }

    @Test func missingBatchCountersAreDefaultedToZero() throws {
        var contents = try resnet18Contents()
        contents.integerTensors = []
        let report = try WeightImport.importResNet(contents: contents, source: "timm", arch: .resnet18)
        #expect(report.isComplete)
        #expect(report.defaulted.count == 20)
        #expect(report.integerTensors.allSatisfy { $0.tensor.values == [0] })
    }

    @Test func wrongArchitectureIsRefusedWithTheMismatch() throws {
        let error = try #require(throws: WeightImportError.self) {
            try WeightImport.importResNet(contents: try resnet18Contents(), source: "r18.pth", arch: .resnet50)
        }
        #expect(error.description.contains("resnet50") && error.description.contains("missing"))
    }

    @Test func savedImportReadsBackThroughTheSafetensorsPath() throws {
        let report = try WeightImport.importResNet(contents: try resnet18Contents(), source: "mem", arch: .resnet18)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wbc-import-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try report.save(to: url)
        let again = try WeightImport.importResNet(from: url, arch: .resnet18)
        #expect(again.format == .safetensors)
        #expect(again.tensors == report.tensors)
        #expect(again.integerTensors == report.integerTensors)
        #expect(try SafeTensorsFile(contentsOf: url).metadata["arch"] == "resnet18")
    }

    @Test func tinyPyTorchFixtureIsSniffedAndReportedAsNotAResNet() throws {
        let url = try CheckpointFixtures.url("tiny_f16")
        let contents = try CheckpointContents(contentsOf: url)
        #expect(contents.format == .pytorch)
        #expect(contents.descriptions.first?.dtype == .F16)
        let error = try #require(throws: WeightImportError.self) {
            try WeightImport.importResNet(from: url, arch: .resnet18, partial: true)
        }
        #expect(error.description.contains("no tensor matches resnet18"))
    }

    @Test func safetensorsWhoseHeaderLengthStartsWithThePickleByteIsSniffedCorrectly() throws {
        // Found with timm's resnet50 export: a header length of 0x…80 begins with 0x80, the pickle PROTO byte.
        var note = ""
        var bytes = Data()
        repeat {
            note += "x"
            bytes = try SafeTensorsWriter.encode(floats: ["w": try HostTensor(shape: [1], values: [2])], metadata: ["n": note])
        } while bytes.first != 0x80
        #expect(CheckpointContents.sniff(bytes) == .safetensors)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wbc-sniff-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try bytes.write(to: url)
        #expect(try CheckpointContents(contentsOf: url).floatTensors.first?.tensor.values == [2])
        #expect(CheckpointContents.sniff(try CheckpointFixtures.data("legacy")) == .pytorch)
        #expect(CheckpointContents.sniff(try CheckpointFixtures.data("tiny_f32")) == .pytorch)
    }

    @Test func cutSafetensorsFilesAreReportedAsTruncatedNotAsForeign() throws {
        let whole = try SafeTensorsWriter.encode(floats: ["w": try HostTensor(shape: [4], values: [1, 2, 3, 4])])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wbc-cut-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // Cut inside the header (whatever the name), and cut to nothing or to a few bytes (named .safetensors).
        for (name, bytes) in [
            ("header-cut.bin", whole.prefix(20)), ("empty.safetensors", Data()), ("three.safetensors", whole.prefix(3)),
            ("pickle-byte.safetensors", Data([0x80, 1, 0, 0, 0])),
        ] {
            let url = dir.appendingPathComponent(name)
            try bytes.write(to: url)
            let error = #expect(throws: SafeTensorsError.self, "\(name)") { try CheckpointContents(contentsOf: url) }
            #expect(error?.description.contains("truncated") == true, "\(name): \(error?.description ?? "")")
            #expect(error?.description.contains(name) == true)
        }
    }

    @Test func nonFiniteWeightsAreRefusedByName() throws {
        var contents = try resnet18Contents()
        let i = try #require(contents.floatTensors.firstIndex { $0.name == "layer2.1.bn1.running_var" })
        var values = contents.floatTensors[i].tensor.values
        values[3] = .nan
        contents.floatTensors[i] = NamedTensor(
            name: contents.floatTensors[i].name,
            tensor: try HostTensor(shape: contents.floatTensors[i].tensor.shape, values: values))
        let error = #expect(throws: WeightImportError.self) {
            try WeightImport.importResNet(contents: contents, source: "nan.safetensors", arch: .resnet18, partial: true)
        }
        #expect(error?.description.contains("'layer2.1.bn1.running_var' holds nan at element 3") == true, "\(error?.description ?? "")")
    }

    @Test func aFileForAnotherDepthIsNamed() throws {
        let error = #expect(throws: WeightImportError.self) {
            try WeightImport.importResNet(contents: try resnet18Contents(), source: "r18.safetensors", arch: .resnet50)
        }
        #expect(error?.fittingArch == .resnet18)
        #expect(error?.description.contains("it is a resnet18 checkpoint") == true, "\(error?.description ?? "")")
        #expect(error?.description.contains("pass arch: resnet18") == true)
        #expect(error?.message(archFlag: "--backbone", partialFlag: nil).contains("pass --backbone resnet18") == true)
        // ResNet-18's tensors are all inside ResNet-34's: a resnet34 file is named as one, not as a resnet18.
        let spec34 = ResNetSpec(.resnet34)
        let r34 = CheckpointContents(
            format: .safetensors,
            floatTensors: try spec34.parameters.filter { !$0.isInteger }.map {
                NamedTensor(name: $0.name, tensor: try HostTensor(shape: $0.shape, values: [Float](repeating: 0.5, count: $0.shape.reduce(1, *))))
            }, integerTensors: [])
        for arch in [ResNetDepth.resnet18, .resnet50] {
            let other = #expect(throws: WeightImportError.self) {
                try WeightImport.importResNet(contents: r34, source: "r34.pth", arch: arch)
            }
            #expect(other?.fittingArch == .resnet34, "imported as \(arch)")
        }
        // A damaged file of the right depth gets no such guess.
        var contents = try resnet18Contents()
        contents.floatTensors.removeLast()
        let damaged = #expect(throws: WeightImportError.self) {
            try WeightImport.importResNet(contents: contents, source: "r18.safetensors", arch: .resnet18)
        }
        #expect(damaged?.fittingArch == nil)
        #expect(damaged?.description.contains("it is a") == false)
        #expect(damaged?.description.contains("partial: true") == true)
    }

    @Test func otherFilesAreNotCheckpoints() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wbc-notes-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("just some text, not weights".utf8).write(to: url)
        let error = try #require(throws: CheckpointError.self) { try CheckpointContents(contentsOf: url) }
        #expect(error.reason == .notACheckpoint)
    }
}

/// Uses the random torchvision resnet18 that `Scripts/make_pth_fixtures.py` writes to /tmp (not committed).
@Suite("torchvision resnet18 from /tmp (skipped when absent)")
struct TorchvisionResNet18ImportTests {
    static let pth = URL(fileURLWithPath: "/tmp/wbc-resnet18-random.pth")
    static let safetensors = URL(fileURLWithPath: "/tmp/wbc-resnet18-random.safetensors")
    static var present: Bool {
        FileManager.default.fileExists(atPath: pth.path) && FileManager.default.fileExists(atPath: safetensors.path)
    }

    @Test(.enabled(if: present, "run Scripts/make_pth_fixtures.py to create /tmp/wbc-resnet18-random.*"))
    func pthImportEqualsTorchsSafetensorsExport() throws {
        let report = try WeightImport.importResNet(from: Self.pth, arch: .resnet18)
        #expect(report.isComplete && report.defaulted.isEmpty)
        let reference = try SafeTensorsFile(contentsOf: Self.safetensors)
        let spec = ResNetSpec(.resnet18)
        #expect(Set(reference.names) == Set(spec.parameters.map(\.name)))
        // The generated spec reproduces torchvision's state_dict() order and shapes exactly.
        let stored = try CheckpointContents(contentsOf: Self.pth).descriptions
        #expect(stored.map(\.name) == spec.parameters.map(\.name))
        #expect(stored.map(\.shape) == spec.parameters.map(\.shape))
        for named in report.tensors {
            #expect(named.tensor == (try reference.floatTensor(named: named.name)), "\(named.name)")
        }
        for named in report.integerTensors {
            #expect(named.tensor == (try reference.integerTensor(named: named.name)), "\(named.name)")
        }
        let safetensorsImport = try WeightImport.importResNet(from: Self.safetensors, arch: .resnet18)
        #expect(safetensorsImport.tensors == report.tensors)
    }
}
