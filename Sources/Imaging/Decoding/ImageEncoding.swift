import Foundation

/// Why an image could not be encoded or written.
public struct ImageEncodingError: Error, Sendable, CustomStringConvertible {
    /// The format being written.
    public var format: ImageFormat
    /// What the encoder said.
    public var detail: String
    public var description: String { "cannot encode \(format.rawValue.uppercased()): \(detail)" }
}

/// Encodes `RGBImage` as PNG (libpng simplified write API) or JPEG (TurboJPEG).
///
/// ```swift
/// try ImageEncoding.write(image, to: url)   // format from the extension: .png, .jpg/.jpeg, .bmp
/// ```
public enum ImageEncoding {
    /// Lossless 8-bit RGB PNG bytes.
    public static func png(_ image: RGBImage) throws(ImageEncodingError) -> [UInt8] {
        try PNGCodec.encode(
            raw: image.pixels, width: image.width, height: image.height,
            format: PNGCodec.flagColor)
    }

    /// Baseline JPEG bytes, 4:2:0 chroma subsampling; `quality` 1…100 (default 92).
    public static func jpeg(_ image: RGBImage, quality: Int = 92) throws(ImageEncodingError) -> [UInt8] {
        try JPEGCodec.encode(
            pixels: image.pixels, width: image.width, height: image.height,
            quality: max(1, min(100, quality)))
    }

    /// Uncompressed 24-bit BMP bytes.
    public static func bmp(_ image: RGBImage) -> [UInt8] { BMPDecoder.encode(image) }

    /// Writes `image` to `url`; the format follows the extension (png, jpg/jpeg, bmp).
    public static func write(_ image: RGBImage, to url: URL, jpegQuality: Int = 92) throws(ImageEncodingError) {
        let bytes: [UInt8]
        let ext = url.pathExtension.lowercased()
        switch ext {
        case "png": bytes = try png(image)
        case "jpg", "jpeg": bytes = try jpeg(image, quality: jpegQuality)
        case "bmp": bytes = bmp(image)
        default: throw ImageEncodingError(format: .png, detail: "unknown extension '.\(ext)' for \(url.path); use .png, .jpg or .bmp")
        }
        do {
            try Data(bytes).write(to: url)
        } catch {
            throw ImageEncodingError(
                format: ImageFormat(rawValue: ext == "jpg" ? "jpeg" : ext) ?? .png,
                detail: "cannot write \(url.path): \(error.localizedDescription)")
        }
    }
}
