/// Why an image could not be decoded. `description` says what is wrong and what to do.
public enum ImageDecodingError: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    /// The data is empty (a zero-byte file).
    case empty
    /// The first bytes are not JPEG, PNG or BMP (e.g. a text file named `.jpg`).
    case unknownFormat(firstBytes: [UInt8])
    /// The JPEG stream ends early ("Premature end of JPEG file").
    case truncated(format: ImageFormat, detail: String)
    /// The decoder rejected the data (bad header, broken CRC, unsupported variant, …).
    case corrupt(format: ImageFormat, detail: String)
    /// Width × height exceeds the decompression-bomb limit; nothing was allocated.
    case tooLarge(width: Int, height: Int, maxPixels: Int)
    /// A BMP variant this decoder does not read (compressed, 16-bit, …).
    case unsupported(format: ImageFormat, detail: String)

    public var description: String {
        switch self {
        case .empty:
            return "the file is empty (0 bytes); remove it or re-export the image"
        case .unknownFormat(let bytes):
            let hex = bytes.prefix(8).map { String($0, radix: 16) }.joined(separator: " ")
            return "not a JPEG, PNG or BMP image (first bytes: \(hex)); the extension does not decide the format"
        case .truncated(let f, let d):
            return "truncated \(f.rawValue.uppercased()) data (\(d)); the file was cut short, re-copy it"
        case .corrupt(let f, let d):
            return "corrupt \(f.rawValue.uppercased()) data: \(d)"
        case .tooLarge(let w, let h, let m):
            let megapixels = Double(m) / 1_000_000
            return
                "image is \(w)x\(h) = \(w.multipliedReportingOverflow(by: h).partialValue) pixels, above the limit of \(megapixels) megapixels (a guard against decompression bombs); if the image is genuine, raise the limit with --max-megapixels"
        case .unsupported(let f, let d):
            return "unsupported \(f.rawValue.uppercased()) variant: \(d); convert it to PNG or JPEG"
        }
    }
}
