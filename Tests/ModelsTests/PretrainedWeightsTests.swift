import Foundation
import Testing

@testable import Models

@Suite("torchvision downloads")
struct PretrainedWeightsTests {
    @Test func torchvisionURLsAndHashPrefixes() throws {
        let v1 = try #require(PretrainedWeights.torchvision(.resnet50, variant: .v1))
        #expect(v1.url.absoluteString == "https://download.pytorch.org/models/resnet50-0676ba61.pth")
        #expect(v1.sha256Prefix == "0676ba61")
        let v2 = try #require(PretrainedWeights.torchvision(.resnet50, variant: .v2))
        #expect(v2.url.absoluteString == "https://download.pytorch.org/models/resnet50-11ad3fa6.pth")
        #expect(v2.sha256Prefix == "11ad3fa6")
        #expect(PretrainedWeights.torchvision(.resnet18)?.sha256Prefix == "f37072fd")
        #expect(PretrainedWeights.torchvision(.resnet18, variant: .v2) == nil)
    }

    @Test func verificationChecksTheDigestPrefix() {
        let data = Data("abc".utf8)
        #expect(WeightDownload.verify(data, prefix: "ba7816bf"))
        #expect(WeightDownload.verify(data, prefix: "BA7816BF"))
        #expect(!WeightDownload.verify(data, prefix: "0676ba61"))
        #expect(!WeightDownload.verify(data, prefix: ""))
    }

    @Test(.timeLimit(.minutes(1)))
    func unreachableServerFailsFastWithOfflineInstructions() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wbc-dl-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        // Port 9 (discard) on loopback: connection refused at once, as on an offline machine.
        let weights = PretrainedWeights(
            arch: .resnet50, variant: .v1,
            url: URL(string: "http://127.0.0.1:9/models/resnet50-0676ba61.pth")!,
            sha256Prefix: "0676ba61")
        let start = Date()
        let error = try #require(throws: WeightDownloadError.self) { try WeightDownload.fetch(weights, into: directory, timeout: 5) }
        #expect(Date().timeIntervalSince(start) < 20)
        #expect(error.description.contains("copy it to \(directory.path)/resnet50-0676ba61.pth, then import it as resnet50"))
        #expect(error.description.contains("curl -LO http://127.0.0.1:9/models/resnet50-0676ba61.pth"))
        #expect(error.description.contains("must start with 0676ba61"))
    }

    @Test func corruptedDownloadIsRejectedByItsHash() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wbc-dl-\(UUID().uuidString)")
        let source = directory.appendingPathComponent("server/resnet18-f37072fd.pth")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: source.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("not the real weights".utf8).write(to: source)
        let weights = PretrainedWeights(arch: .resnet18, variant: .v1, url: source, sha256Prefix: "f37072fd")
        let error = try #require(throws: WeightDownloadError.self) {
            try WeightDownload.fetch(weights, into: directory.appendingPathComponent("out"), timeout: 5)
        }
        #expect(error.detail.contains("does not start with f37072fd"))
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("out/resnet18-f37072fd.pth").path))
    }
}
