import Foundation
import Testing

@testable import Compute

/// Reference values written by `Scripts/make_compute_fixtures.py` (PyTorch, float64 → float32).
enum Fixtures {
    static let ops: [String: HostTensor] = load("ops")

    static func load(_ name: String) -> [String: HostTensor] {
        guard let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "safetensors"),
            let data = try? Data(contentsOf: url)
        else { return [:] }
        // Minimal F32-only safetensors parse for fixtures (the library's reader is tested on its own).
        let n = data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        let header = data.subdata(in: 8..<(8 + Int(n)))
        guard let json = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else { return [:] }
        var out: [String: HostTensor] = [:]
        let body = data.subdata(in: (8 + Int(n))..<data.count)
        for (k, v) in json where k != "__metadata__" {
            guard let d = v as? [String: Any], let shape = d["shape"] as? [Int], let off = d["data_offsets"] as? [Int] else { continue }
            let vals = body.subdata(in: off[0]..<off[1]).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            out[k] = try? HostTensor(shape: shape, values: vals)
        }
        return out
    }

    static func tensor(_ key: String) throws -> Tensor {
        let h = try #require(ops[key], "fixture \(key) missing: run Scripts/make_compute_fixtures.py")
        return Tensor(h)
    }

    static func values(_ key: String) throws -> [Float] {
        try #require(ops[key], "fixture \(key) missing").values
    }
}

/// Relative L2 error ‖a − b‖ / max(‖b‖, tiny).
func relativeError(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    var num: Double = 0
    var den: Double = 0
    for i in a.indices {
        let d = Double(a[i] - b[i])
        num += d * d
        den += Double(b[i]) * Double(b[i])
    }
    return Float((num / max(den, 1e-30)).squareRoot())
}

/// Expects `actual` to match the fixture `key` within `tolerance` relative L2 error and shape.
func expectClose(
    _ actual: Tensor, _ key: String, tolerance: Float = 1e-4,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let ref = try #require(Fixtures.ops[key], "fixture \(key) missing", sourceLocation: sourceLocation)
    #expect(actual.shape == ref.shape, "shape of \(key)", sourceLocation: sourceLocation)
    let err = relativeError(actual.toArray(), ref.values)
    #expect(err <= tolerance, "\(key): relative error \(err)", sourceLocation: sourceLocation)
}

func expectClose(
    _ actual: [Float], _ expected: [Float], tolerance: Float = 1e-4, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let err = relativeError(actual, expected)
    #expect(err <= tolerance, "\(what): relative error \(err)", sourceLocation: sourceLocation)
}
