import Compute
import Determinism
import Foundation
import Testing
import ZIPFoundation

@testable import Models

/// Seeded mutation fuzzing of the zip and pickle readers: every attempt must return a checkpoint or throw
/// `CheckpointError` — no crash, no hang, no other error type.
@Suite("PyTorch checkpoints: seeded mutation fuzzing", .timeLimit(.minutes(1)))
struct CheckpointFuzzTests {
    typealias Fixtures = CheckpointFixtures
    static let seedFixtures = ["tiny_f32", "tiny_f16", "tiny_checkpoint", "shared_views"]

    private func classify(_ body: () throws -> Void, _ label: String) -> Bool {
        do {
            try body()
            return true
        } catch is CheckpointError {
            return false
        } catch {
            Issue.record("\(label): unexpected error type \(type(of: error)): \(error)")
            return false
        }
    }

    @Test func mutatedArchivesReadOrThrowCheckpointError() throws {
        let seeds = try Self.seedFixtures.map { [UInt8](try Fixtures.data($0)) }
        var rng = SeededGenerator(seed: 99)
        var accepted = 0
        for iteration in 0..<1500 {
            var bytes = seeds[iteration % seeds.count]
            ByteMutator.mutate(&bytes, &rng)
            if classify({ _ = try PyTorchCheckpoint(data: Data(bytes), file: "fuzz.pth") }, "archive \(iteration)") {
                accepted += 1
            }
        }
        #expect(accepted < 1500)  // mutations do break files; and a run reaching here did not crash or hang
    }

    @Test func mutatedPicklesInValidArchivesReadOrThrowCheckpointError() throws {
        var rng = SeededGenerator(seed: 7)
        var accepted = 0
        var total = 0
        for name in Self.seedFixtures {
            let archive = try Fixtures.archive(name)
            let storageKeys = (0..<16).map(String.init).filter { archive.contains("data/\($0)") }
            let storages = try storageKeys.map { ("data/\($0)", try archive.read("data/\($0)")) }
            let pickle = try archive.read("data.pkl")
            for iteration in 0..<150 {
                var mutated = pickle
                ByteMutator.mutate(&mutated, &rng)
                let zip = try ZipBuilder.stored(prefix: "fuzz/", [("data.pkl", mutated), ("byteorder", Array("little".utf8))] + storages)
                total += 1
                if classify({ _ = try PyTorchCheckpoint(data: zip, file: "fuzz.pth") }, "\(name) pickle \(iteration)") {
                    accepted += 1
                }
            }
        }
        #expect(total == 600 && accepted < total)
    }

    @Test func mutatedPicklesThroughTheUnpicklerAlone() throws {
        var rng = SeededGenerator(seed: 12345)
        let pickles = try Self.seedFixtures.map { try Fixtures.archive($0).read("data.pkl") }
        var located = 0
        for iteration in 0..<3000 {
            var program = pickles[iteration % pickles.count]
            ByteMutator.mutate(&program, &rng)
            let ok = classify(
                {
                    _ = try RestrictedUnpickler.load(program, file: "fuzz.pkl") { try StateDictLocator.locate(in: $0, file: "fuzz.pkl") }
                }, "unpickler \(iteration)")
            if ok { located += 1 }
        }
        #expect(located < 3000)
    }

    @Test func rebuiltArchiveOfTheOriginalPickleStillReads() throws {
        // Guards the fuzz harness itself: an unmutated rebuild must read, or the tests above prove little.
        let archive = try Fixtures.archive("tiny_f32")
        let storages = try (0..<9).map { ("data/\($0)", try archive.read("data/\($0)")) }
        let zip = try ZipBuilder.stored(prefix: "fuzz/", [("data.pkl", try archive.read("data.pkl"))] + storages)
        let checkpoint = try PyTorchCheckpoint(data: zip, file: "rebuilt.pth")
        #expect(checkpoint.descriptions.map(\.name) == Fixtures.tinyNames)
    }
}

/// Builds small stored zip archives in memory (test harness only).
enum ZipBuilder {
    static func stored(prefix: String, _ files: [(String, [UInt8])]) throws -> Data {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wbc-zip-\(UUID().uuidString).zip")
        defer { try? FileManager.default.removeItem(at: url) }
        let archive = try Archive(url: url, accessMode: .create)
        for (path, bytes) in files {
            let data = Data(bytes)
            try archive.addEntry(
                with: prefix + path, type: .file, uncompressedSize: Int64(data.count),
                compressionMethod: .none
            ) { position, size in
                data.subdata(in: Int(position)..<(Int(position) + size))
            }
        }
        return try Data(contentsOf: url)
    }
}

/// Byte-level mutations: bit flips, truncation, random bytes, huge little-endian lengths, splices.
enum ByteMutator {
    static func mutate(_ bytes: inout [UInt8], _ rng: inout SeededGenerator) {
        guard !bytes.isEmpty else { return }
        for _ in 0..<(1 + rng.nextInt(below: 3)) {
            guard !bytes.isEmpty else { return }
            switch rng.nextInt(below: 5) {
            case 0:
                let i = rng.nextInt(below: bytes.count)
                bytes[i] ^= UInt8(1) << UInt8(rng.nextInt(below: 8))
            case 1:
                bytes.removeLast(rng.nextInt(below: bytes.count))
            case 2:
                for _ in 0..<(1 + rng.nextInt(below: 8)) {
                    bytes[rng.nextInt(below: bytes.count)] = UInt8(truncatingIfNeeded: rng.next())
                }
            case 3:
                let at = rng.nextInt(below: bytes.count)
                let huge: [UInt64] = [.max, 1 << 62, 1 << 31, 0x7FFF_FFFF, 0xFFFF_FFFF, 0xFFFF]
                var value = huge[rng.nextInt(below: huge.count)]
                for k in 0..<8 where at + k < bytes.count {
                    bytes[at + k] = UInt8(truncatingIfNeeded: value)
                    value >>= 8
                }
            default:
                let at = rng.nextInt(below: bytes.count)
                let length = rng.nextInt(below: min(32, bytes.count - at) + 1)
                bytes.insert(contentsOf: bytes[at..<(at + length)], at: rng.nextInt(below: bytes.count))
            }
        }
    }
}
