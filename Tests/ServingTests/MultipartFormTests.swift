import Determinism
import Foundation
import Testing

@testable import Serving

@Suite("multipart/form-data")
struct MultipartFormTests {
    static let boundary = "XyZ-boundary"
    static func form(_ files: [(String, [UInt8])]) -> Data {
        var d = Data()
        for (name, bytes) in files {
            d += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(name)\"\r\nContent-Type: image/jpeg\r\n\r\n".utf8)
            d += Data(bytes) + Data("\r\n".utf8)
        }
        return d + Data("--\(boundary)--\r\n".utf8)
    }

    @Test func partsKeepTheirNamesAndExactBytes() throws {
        let a: [UInt8] = [0xFF, 0xD8, 13, 10, 45, 45, 0, 1]  // CR LF and "--" inside the data are not a boundary
        let parts = try MultipartForm.parse(Self.form([("a.jpeg", a), ("b c.png", [1, 2, 3])]), boundary: Self.boundary)
        #expect(parts.map(\.fileName) == ["a.jpeg", "b c.png"])
        #expect(parts.map { [UInt8]($0.data) } == [a, [1, 2, 3]])
        #expect(parts[0].contentType == "image/jpeg" && parts[0].name == "file")
        #expect(UploadedImages.parameter("boundary", in: "multipart/form-data; boundary=\"q r\"") == "q r")
    }

    /// Every truncation and thousands of seeded mutations: each body parses or is refused with a 400, never a trap.
    @Test func truncatedAndMutatedBodiesAreRefusedCleanly() throws {
        let whole = [UInt8](Self.form([("a.jpeg", Array(repeating: 7, count: 40)), ("b.jpeg", [9, 9])]))
        var refused = 0
        for cut in 0..<whole.count {
            do { _ = try MultipartForm.parse(Data(whole[..<cut]), boundary: Self.boundary) } catch let e as APIError {
                #expect(e.status == .badRequest)
                refused += 1
            }
        }
        // Every prefix short of the closing "--XyZ-boundary--" is refused; the two that stop in its final CR LF parse.
        #expect(refused == whole.count - 2)
        var rng = SeededGenerator(seed: 11)
        for _ in 0..<3000 {
            var bytes = whole
            for _ in 0..<(1 + rng.nextInt(below: 4)) {
                let i = rng.nextInt(below: bytes.count)
                switch rng.nextInt(below: 3) {
                case 0: bytes[i] = UInt8(truncatingIfNeeded: rng.nextInt(below: 256))
                case 1: bytes.remove(at: i)
                default: bytes.insert(contentsOf: [13, 10, 45, 45], at: i)
                }
            }
            do { _ = try MultipartForm.parse(Data(bytes), boundary: Self.boundary) } catch let e as APIError { #expect(e.status == .badRequest) }
        }
    }
}
