import Compute
import Determinism
import Foundation
import Testing

@testable import Models

@Suite("SHA-256")
struct SHA256Tests {
    // FIPS 180-4 / NIST example vectors.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        ),
    ])
    func knownVectors(_ message: String, _ digest: String) {
        #expect(SHA256.hash(Array(message.utf8)).hex == digest)
    }

    @Test func millionAsInUnevenChunksMatchesTheVector() {
        var hasher = SHA256()
        var rng = SeededGenerator(seed: 1)
        var remaining = 1_000_000
        while remaining > 0 {
            let n = min(remaining, 1 + rng.nextInt(below: 5000))
            hasher.update([UInt8](repeating: UInt8(ascii: "a"), count: n))
            remaining -= n
        }
        #expect(hasher.finalize().hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func paddingBoundariesAgreeBetweenOneShotAndStreaming() {
        var rng = SeededGenerator(seed: 2)
        for length in [55, 56, 63, 64, 65, 119, 120, 128] {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var hasher = SHA256()
            for byte in bytes { hasher.update([byte]) }
            #expect(hasher.finalize() == SHA256.hash(bytes), "length \(length)")
        }
    }
}
