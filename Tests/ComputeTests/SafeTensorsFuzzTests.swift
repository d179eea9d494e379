import Determinism
import Foundation
import Testing

@testable import Compute

@Suite("safetensors: seeded mutation fuzzing")
struct SafeTensorsFuzzTests {
    /// Mutates valid files thousands of times: each attempt must either parse (and then every tensor must read
    /// or throw) or throw `SafeTensorsError` — never crash or hang.
    @Test func mutatedFilesEitherParseOrThrowSafeTensorsError() throws {
        var rng = SeededGenerator(seed: 2024)
        let seeds = [
            try Data(contentsOf: try SafeTensorsTestSupport.referenceFixture()),
            try SafeTensorsWriter.encode(
                floats: ["a": SafeTensorsTestSupport.randomTensor([2, 3], &rng)],
                integers: ["n": try HostIntegerTensor(shape: [], values: [5])],
                metadata: ["k": "v"]),
        ]
        var parsed = 0
        var refused = 0
        for iteration in 0..<3000 {
            var bytes = [UInt8](seeds[iteration % seeds.count])
            Mutator.mutate(&bytes, &rng)
            do {
                let file = try SafeTensorsFile(data: Data(bytes), file: "fuzz")
                parsed += 1
                for entry in file.entries {
                    if entry.dtype.isFloatingPoint {
                        #expect(try file.floatTensor(named: entry.name).count == HostTensor.elementCount(of: entry.shape))
                    } else {
                        #expect(try file.integerTensor(named: entry.name).values.count == HostTensor.elementCount(of: entry.shape))
                    }
                }
            } catch is SafeTensorsError {
                refused += 1
            } catch {
                Issue.record("iteration \(iteration): unexpected error type \(error)")
            }
        }
        #expect(parsed + refused == 3000)
        #expect(refused > 0)
    }
}

/// Byte-level mutations: bit flips, truncation, random bytes, huge little-endian lengths, JSON-ish tokens.
enum Mutator {
    static func mutate(_ bytes: inout [UInt8], _ rng: inout SeededGenerator) {
        guard !bytes.isEmpty else { return }
        for _ in 0..<(1 + rng.nextInt(below: 3)) {
            switch rng.nextInt(below: 6) {
            case 0:
                let i = rng.nextInt(below: bytes.count)
                bytes[i] ^= UInt8(1) << UInt8(rng.nextInt(below: 8))
            case 1:
                bytes.removeLast(rng.nextInt(below: bytes.count))
                if bytes.isEmpty { return }
            case 2:
                for _ in 0..<(1 + rng.nextInt(below: 8)) {
                    bytes[rng.nextInt(below: bytes.count)] = UInt8(truncatingIfNeeded: rng.next())
                }
            case 3:
                let at = rng.nextInt(below: bytes.count)
                let huge: [UInt64] = [.max, 1 << 62, 1 << 31, 0x7FFF_FFFF, 0xFFFF_FFFF]
                var value = huge[rng.nextInt(below: huge.count)]
                for k in 0..<8 where at + k < bytes.count {
                    bytes[at + k] = UInt8(truncatingIfNeeded: value)
                    value >>= 8
                }
            case 4:
                let tokens: [String] = ["9999999999999999999", "-1", "[", "]", "{", "}", "\"", ",", "1e308", "null"]
                let token = Array(tokens[rng.nextInt(below: tokens.count)].utf8)
                let at = rng.nextInt(below: bytes.count)
                bytes.replaceSubrange(at..<min(bytes.count, at + token.count), with: token)
            default:
                let at = rng.nextInt(below: bytes.count)
                let length = rng.nextInt(below: min(64, bytes.count - at) + 1)
                bytes.insert(contentsOf: bytes[at..<(at + length)], at: rng.nextInt(below: bytes.count))
            }
        }
    }
}
