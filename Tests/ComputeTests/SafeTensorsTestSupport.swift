import Determinism
import Foundation

@testable import Compute

/// Helpers shared by the safetensors tests: temp directories, hand-made files, fixtures.
enum SafeTensorsTestSupport {
    /// A fresh, empty directory under the system temp folder.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("wbc-safetensors-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A safetensors file made of a literal header and raw data bytes (for malformed-input tests).
    static func handMade(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
        let headerBytes = Array(header.utf8)
        var out = Data()
        withUnsafeBytes(of: (declaredLength ?? UInt64(headerBytes.count)).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: headerBytes)
        out.append(contentsOf: data)
        return out
    }

    /// The reference file written by `Scripts/make_pth_fixtures.py` with Python's safetensors.
    static func referenceFixture() throws -> URL {
        guard
            let url = Bundle.module.url(
                forResource: "SafeTensorsReference", withExtension: "safetensors",
                subdirectory: "Fixtures")
        else {
            throw CocoaError(.fileNoSuchFile)
        }
        return url
    }

    /// Random tensors from a seeded generator.
    static func randomTensor(_ shape: [Int], _ rng: inout SeededGenerator) -> HostTensor {
        let count = HostTensor.elementCount(of: shape) ?? 0
        return HostTensor(zeros: shape).map { t in
            var t = t
            for i in 0..<count { t.values[i] = rng.nextGaussian() }
            return t
        }!
    }
}
