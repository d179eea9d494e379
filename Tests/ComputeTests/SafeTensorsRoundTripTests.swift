import Determinism
import Foundation
import Testing

@testable import Compute

@Suite("safetensors round trip and reference files")
struct SafeTensorsRoundTripTests {
    @Test func writeThenReadGivesIdenticalTensorsAndMetadata() throws {
        var rng = SeededGenerator(seed: 7)
        let floats = [
            "conv1.weight": SafeTensorsTestSupport.randomTensor([4, 3, 3, 3], &rng),
            "bn1.running_var": SafeTensorsTestSupport.randomTensor([4], &rng),
            "scalar": try HostTensor(shape: [], values: [Float.pi]),
            "empty": try HostTensor(shape: [0, 5], values: []),
        ]
        let integers = ["bn1.num_batches_tracked": try HostIntegerTensor(shape: [], values: [123_456_789_012])]
        let metadata = ["arch": "resnet50", "quote\"key": "line\nbreak"]
        let directory = try SafeTensorsTestSupport.temporaryDirectory()
        let url = directory.appendingPathComponent("model.safetensors")

        try SafeTensorsWriter.write(floats: floats, integers: integers, metadata: metadata, to: url)
        let file = try SafeTensorsFile(contentsOf: url)

        #expect(file.metadata == metadata)
        #expect(file.names == ["bn1.num_batches_tracked", "bn1.running_var", "conv1.weight", "empty", "scalar"])
        for (name, tensor) in floats {
            #expect(try file.floatTensor(named: name) == tensor)
            #expect(file.entry(named: name)?.dtype == .F32)
        }
        #expect(try file.integerTensor(named: "bn1.num_batches_tracked") == integers["bn1.num_batches_tracked"])
        #expect(file.entry(named: "bn1.num_batches_tracked")?.dtype == .I64)
    }

    @Test func encodingIsDeterministicAndHeaderIsAligned() throws {
        var rng = SeededGenerator(seed: 3)
        var floats: [String: HostTensor] = [:]
        for i in 0..<12 { floats["t\(i)"] = SafeTensorsTestSupport.randomTensor([i % 4 + 1, 3], &rng) }
        let first = try SafeTensorsWriter.encode(floats: floats, metadata: ["a": "1", "b": "2"])
        var reordered: [String: HostTensor] = [:]
        for key in floats.keys.sorted().reversed() { reordered[key] = floats[key] }
        let second = try SafeTensorsWriter.encode(floats: reordered, metadata: ["b": "2", "a": "1"])
        #expect(first == second)
        let headerLength = first.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        #expect(headerLength % 8 == 0)
        // The padding is spaces, so the header parses as plain JSON.
        let header = first.subdata(in: 8..<(8 + Int(headerLength)))
        #expect(try JSONSerialization.jsonObject(with: header) is [String: Any])
    }

    @Test func pythonWrittenHalfAndBFloat16ValuesMatchTorchConversions() throws {
        let file = try SafeTensorsFile(contentsOf: try SafeTensorsTestSupport.referenceFixture())
        #expect(file.metadata["source"] == "make_pth_fixtures.py")
        #expect(file.entry(named: "f16")?.dtype == .F16)
        #expect(file.entry(named: "bf16")?.dtype == .BF16)
        for (stored, reference) in [("f16", "f16_as_f32"), ("bf16", "bf16_as_f32")] {
            let converted = try file.floatTensor(named: stored)
            let expected = try file.floatTensor(named: reference)
            #expect(converted.shape == expected.shape)
            for (a, b) in zip(converted.values, expected.values) {
                #expect(a.isNaN ? b.isNaN : a.bitPattern == b.bitPattern, "\(stored): \(a) vs torch \(b)")
            }
        }
        let f64 = try file.floatTensor(named: "f64")
        #expect(f64 == (try HostTensor(shape: [1, 2], values: [1.5, Float(-2.25e-3)])))
        #expect(try file.integerTensor(named: "steps") == (try HostIntegerTensor(shape: [], values: [7])))
        #expect(try file.integerTensor(named: "i32").values == [-3, 0, 2_147_483_647])
        #expect(try file.floatTensor(named: "f32").shape == [2, 3, 4])
    }

    @Test func integerTensorAskedForAsFloatIsRefusedWithItsDType() throws {
        let file = try SafeTensorsFile(contentsOf: try SafeTensorsTestSupport.referenceFixture())
        let error = try #require(throws: SafeTensorsError.self) { try file.floatTensor(named: "steps") }
        #expect(error.reason == .wrongKind(dtype: .I64, expected: "floating-point"))
        #expect(error.description.contains("'steps'") && error.description.contains("I64"))
        #expect(throws: SafeTensorsError.self) { try file.integerTensor(named: "f32") }
    }

    @Test func missingTensorIsNamed() throws {
        let file = try SafeTensorsFile(contentsOf: try SafeTensorsTestSupport.referenceFixture())
        let error = try #require(throws: SafeTensorsError.self) { try file.floatTensor(named: "fc.weight") }
        #expect(error.reason == .missingTensor)
        #expect(error.description.contains("fc.weight") && error.description.contains("SafeTensorsReference"))
    }
}
