/// A file format recognised from its first bytes (never from the file extension).
public enum ImageFormat: String, Sendable, Codable, CaseIterable {
    case jpeg, png, bmp

    /// Sniffs the format from magic bytes; `nil` when the bytes are none of JPEG, PNG or BMP.
    public static func sniff<C: Collection>(_ bytes: C) -> ImageFormat? where C.Element == UInt8 {
        let head = Array(bytes.prefix(8))
        if head.count >= 3, head[0] == 0xFF, head[1] == 0xD8, head[2] == 0xFF { return .jpeg }
        if head.count >= 8, head == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        if head.count >= 2, head[0] == 0x42, head[1] == 0x4D { return .bmp }
        return nil
    }

    /// File extensions (lower case) that datasets treat as images.
    public static let fileExtensions: Set<String> = ["jpg", "jpeg", "png", "bmp"]
}
