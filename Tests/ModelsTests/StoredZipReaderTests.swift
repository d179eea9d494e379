import Foundation
import Testing
import ZIPFoundation

@testable import Models

@Suite("stored zip reader")
struct StoredZipReaderTests {
    @Test(arguments: ["tiny_f32", "tiny_bf16", "shared_views", "forbidden_global"])
    func agreesWithZIPFoundationOnValidArchives(_ name: String) throws {
        let url = try CheckpointFixtures.url(name)
        let ours = try StoredZipReader(data: try Data(contentsOf: url))
        let reference = try Archive(url: url, accessMode: .read)
        var paths: [String] = []
        for entry in reference {
            paths.append(entry.path)
            var expected = Data()
            _ = try reference.extract(entry) { expected.append($0) }
            let mine = try #require(ours.entries[entry.path])
            #expect(try ours.contents(of: mine) == [UInt8](expected), "\(entry.path)")
        }
        #expect(Set(paths) == Set(ours.entries.keys))
        #expect(!paths.isEmpty)
    }

    @Test func corruptedDataFailsTheCRC() throws {
        var bytes = [UInt8](try CheckpointFixtures.data("tiny_f32"))
        let zip = try StoredZipReader(data: Data(bytes))
        let entry = try #require(zip.entries["tiny_f32/data/0"])
        // Flip one payload byte: the directory still parses, the CRC must catch it.
        let nameLength = Int(bytes[entry.localHeaderOffset + 26]) | Int(bytes[entry.localHeaderOffset + 27]) << 8
        let extraLength = Int(bytes[entry.localHeaderOffset + 28]) | Int(bytes[entry.localHeaderOffset + 29]) << 8
        bytes[entry.localHeaderOffset + 30 + nameLength + extraLength] ^= 0x01
        let damaged = try StoredZipReader(data: Data(bytes))
        #expect(throws: StoredZipReader.Failure.self) { try damaged.contents(of: try #require(damaged.entries["tiny_f32/data/0"])) }
    }
}
