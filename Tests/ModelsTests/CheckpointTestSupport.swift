import Compute
import Foundation

@testable import Models

/// Fixture access for the checkpoint tests (files written by `Scripts/make_pth_fixtures.py`).
enum CheckpointFixtures {
    static func url(_ name: String, _ ext: String = "pth") throws -> URL {
        guard let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Fixtures/\(name).\(ext)"])
        }
        return url
    }

    static func data(_ name: String, _ ext: String = "pth") throws -> Data {
        try Data(contentsOf: try url(name, ext))
    }

    /// The fixture's zip container.
    static func archive(_ name: String) throws -> TorchArchive {
        try TorchArchive(data: try data(name), file: name)
    }

    /// Expected float32 values, keyed `<group>/<name>` (groups: f32, f16, bf16, views).
    static func expected() throws -> SafeTensorsFile {
        try SafeTensorsFile(contentsOf: try url("expected", "safetensors"))
    }

    static let tinyNames = [
        "conv.weight", "conv.bias", "bn.weight", "bn.bias", "bn.running_mean",
        "bn.running_var", "bn.num_batches_tracked", "fc.weight", "fc.bias",
    ]

    /// The reason of the `CheckpointError` thrown by `body`, or nil when it succeeds.
    static func failure(_ body: () throws -> Void) -> CheckpointError? {
        do {
            try body()
            return nil
        } catch let error as CheckpointError {
            return error
        } catch {
            return CheckpointError(file: "?", reason: .notAStateDict("unexpected error type: \(error)"))
        }
    }

    /// A small pickle program from opcodes and operands.
    static func pickle(_ parts: [UInt8]...) -> [UInt8] {
        [0x80, 0x02] + parts.flatMap { $0 } + [0x2E]
    }

    static func binunicode(_ s: String) -> [UInt8] {
        let utf8 = Array(s.utf8)
        let n = UInt32(utf8.count)
        return [0x58, UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)] + utf8
    }

    static func global(_ module: String, _ name: String) -> [UInt8] {
        [0x63] + Array("\(module)\n\(name)\n".utf8)
    }
}
