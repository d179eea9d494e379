import Determinism
import Foundation
import Testing

@testable import Compute

@Suite("safetensors: malformed files give specific errors")
struct SafeTensorsMalformedTests {
    typealias Support = SafeTensorsTestSupport

    private func reason(_ data: Data) -> SafeTensorsError.Reason? {
        do {
            _ = try SafeTensorsFile(data: data, file: "bad.safetensors")
            return nil
        } catch let error as SafeTensorsError {
            return error.reason
        } catch {
            return .io("unexpected error type \(error)")
        }
    }

    @Test func truncatedFilesAreRefusedAtEveryCut() throws {
        var rng = SeededGenerator(seed: 11)
        let whole = try SafeTensorsWriter.encode(floats: [
            "a": Support.randomTensor([3, 5], &rng),
            "b": Support.randomTensor([7], &rng),
        ])
        #expect(reason(whole) == nil)
        for cut in 0..<whole.count {
            let r = reason(whole.prefix(cut))
            switch r {
            case .truncated?, .offsetsOutOfBounds?: break
            default: Issue.record("cut at \(cut) of \(whole.count) gave \(String(describing: r))")
            }
        }
    }

    @Test func headerLengthBeyondTheFileOrImplausibleIsRefused() {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        #expect(
            reason(Support.handMade(header: header, data: [0, 0, 0, 0], declaredLength: 1 << 40))
                == .headerLengthInvalid(1 << 40))
        #expect(reason(Support.handMade(header: header, data: [0, 0, 0, 0], declaredLength: 0)) == .headerLengthInvalid(0))
        if case .truncated? = reason(Support.handMade(header: header, declaredLength: 500)) {
        } else {
            Issue.record("a header length past the end must read as truncated")
        }
    }

    @Test func aNameGivenTwiceIsRefused() throws {
        // The format forbids it; JSON decoding alone would keep the second entry and hide the first.
        let twice = #"{"w":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}, "w" :{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let error = #expect(throws: SafeTensorsError.self) {
            try SafeTensorsFile(data: Support.handMade(header: twice, data: [0, 0, 128, 63]), file: "twice.safetensors")
        }
        #expect(error?.tensor == "w")
        #expect(error?.description.contains("more than once") == true)
        // Escapes name the same key; names inside entries and metadata are not top-level names.
        let escaped = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\u0077":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        #expect(SafeTensorsFile.firstDuplicateName(Data(escaped.utf8)) == "w")
        let nested =
            #"{"__metadata__":{"dtype":"x","shape":"y"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b:\"":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        #expect(SafeTensorsFile.firstDuplicateName(Data(nested.utf8)) == nil)
        #expect(throws: Never.self) { try SafeTensorsFile(data: Support.handMade(header: nested, data: [0, 0, 128, 63, 0, 0, 0, 64]), file: "ok") }
    }

    @Test func headerThatIsNotAJSONObjectIsRefused() {
        if case .headerMalformed? = reason(Support.handMade(header: "{not json")) {} else { Issue.record("bad JSON accepted") }
        if case .headerMalformed? = reason(Support.handMade(header: "[1,2]")) {} else { Issue.record("array header accepted") }
        if case .headerMalformed? = reason(Support.handMade(header: #"{"__metadata__":{"k":3}}"#)) {
        } else {
            Issue.record("non-string metadata accepted")
        }
    }

    @Test func deeplyNestedHeaderIsRefusedNotACrash() {
        let nested = String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)
        if case .headerMalformed? = reason(Support.handMade(header: nested)) {} else { Issue.record("deep nesting accepted") }
    }

    @Test func malformedEntriesNameTheTensor() throws {
        let cases: [(String, [UInt8])] = [
            (#"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0]),
            (#"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, [0, 0, 0, 0]),
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, [0, 0, 0, 0]),
            (#"{"w":{"dtype":"F32","shape":[1]}}"#, [0, 0, 0, 0]),
            (#"{"w":[1,2]}"#, []),
        ]
        for (header, data) in cases {
            let error = try #require(throws: SafeTensorsError.self) {
                try SafeTensorsFile(data: Support.handMade(header: header, data: data), file: "bad.safetensors")
            }
            #expect(error.tensor == "w", "\(header)")
            #expect(error.description.contains("'w'"))
        }
    }

    @Test func unknownDTypeIsNamed() throws {
        let data = Support.handMade(header: #"{"w":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}"#, data: [0])
        let error = try #require(throws: SafeTensorsError.self) { try SafeTensorsFile(data: data, file: "x.safetensors") }
        #expect(error.reason == .unknownDType("F8_E4M3"))
        #expect(error.description.contains("F8_E4M3") && error.description.contains("'w'"))
    }

    @Test func byteCountMustEqualShapeTimesDTypeSize() {
        let data = Support.handMade(header: #"{"w":{"dtype":"F16","shape":[3],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
        #expect(reason(data) == .byteCountMismatch(expected: 6, actual: 4))
        let huge = Support.handMade(
            header: #"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#,
            data: [0, 0, 0, 0])
        #expect(reason(huge) != nil)
    }

    @Test func offsetsOutOfBoundsAndOverlapsAreRefused() throws {
        let outside = Support.handMade(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: [0, 0, 0, 0])
        #expect(reason(outside) == .offsetsOutOfBounds(begin: 0, end: 8, dataBytes: 4))
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        let error = try #require(throws: SafeTensorsError.self) {
            try SafeTensorsFile(data: Support.handMade(header: header, data: Array(repeating: 0, count: 12)), file: "o.safetensors")
        }
        #expect(error.reason == .overlapping(other: "a"))
        #expect(error.tensor == "b")
    }
}

@Suite("safetensors: atomic writes")
struct SafeTensorsAtomicWriteTests {
    @Test func failedWriteLeavesThePreviousFileIntactAndNoTemporaries() throws {
        let directory = try SafeTensorsTestSupport.temporaryDirectory()
        let url = directory.appendingPathComponent("w.safetensors")
        let good = try HostTensor(shape: [2], values: [1, 2])
        try SafeTensorsWriter.write(floats: ["w": good], to: url)
        let before = try Data(contentsOf: url)

        var broken = good
        broken.shape = [3]  // values no longer match the shape
        let error = try #require(throws: SafeTensorsError.self) {
            try SafeTensorsWriter.write(floats: ["w": broken], to: url)
        }
        #expect(error.tensor == "w")
        #expect(try Data(contentsOf: url) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["w.safetensors"])
    }

    @Test func writingIntoAMissingDirectoryIsAClearIOError() throws {
        let url = try SafeTensorsTestSupport.temporaryDirectory().appendingPathComponent("no/such/dir/w.safetensors")
        let error = try #require(throws: SafeTensorsError.self) {
            try SafeTensorsWriter.write(floats: ["w": try HostTensor(shape: [1], values: [1])], to: url)
        }
        guard case .io = error.reason else {
            Issue.record("expected an I/O error, got \(error)")
            return
        }
        #expect(error.description.contains("no/such/dir"))
    }

    @Test func replacingAnExistingFileSwapsItsContents() throws {
        let url = try SafeTensorsTestSupport.temporaryDirectory().appendingPathComponent("w.safetensors")
        try SafeTensorsWriter.write(floats: ["w": try HostTensor(shape: [1], values: [1])], to: url)
        try SafeTensorsWriter.write(floats: ["v": try HostTensor(shape: [2], values: [3, 4])], to: url)
        let file = try SafeTensorsFile(contentsOf: url)
        #expect(file.names == ["v"])
        #expect(try file.floatTensor(named: "v").values == [3, 4])
    }
}
