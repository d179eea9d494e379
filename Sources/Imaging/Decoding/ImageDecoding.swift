import Foundation

/// Settings for decoding one image.
public struct DecodeOptions: Sendable, Codable, Equatable {
    /// Decompression-bomb guard: images with more than this many pixels are refused before any pixel
    /// buffer is allocated. Default 50 megapixels.
    public var maxPixels: Int
    /// When set, a JPEG may be decoded at 1/2, 1/4 or 1/8 scale as long as the result keeps
    /// width ≥ `minimumSize.width` and height ≥ `minimumSize.height`. `nil` (default): full size.
    public var minimumSize: ImageSize?
    /// Accept a JPEG that ends early (libjpeg fills the missing rows with grey). Default `false`:
    /// such files are reported as `ImageDecodingError.truncated`.
    public var allowTruncatedJPEG: Bool

    public init(maxPixels: Int = 50_000_000, minimumSize: ImageSize? = nil, allowTruncatedJPEG: Bool = false) {
        self.maxPixels = maxPixels
        self.minimumSize = minimumSize
        self.allowTruncatedJPEG = allowTruncatedJPEG
    }
}

/// A decoded image, with the warning its decoder gave about a file it could still read whole (e.g. libjpeg's
/// "Invalid SOS parameters for sequential JPEG"); nil when there was none.
public struct DecodedImage: Sendable {
    public var image: RGBImage
    public var warning: String?
}

/// Decodes JPEG (TurboJPEG), PNG (libpng simplified API) and BMP (Swift) into `RGBImage`.
///
/// The format is sniffed from the magic bytes. Grayscale, CMYK/YCCK, palette, 16-bit and alpha
/// images all become 8-bit RGB; alpha (PNG's, and 32-bit BMP's) is composited on white. A JPEG's EXIF
/// orientation is applied, so the image comes back as it is meant to be seen.
///
/// ```swift
/// let image = try ImageDecoding.decode(contentsOf: url)            // full size
/// let small = try ImageDecoding.decode(contentsOf: url,
///     options: DecodeOptions(minimumSize: ImageSize(side: 112)))  // may use 1/2-scale JPEG decoding
/// ```
public enum ImageDecoding {
    /// Decodes an in-memory image file.
    public static func decode(_ data: Data, options: DecodeOptions = DecodeOptions()) throws(ImageDecodingError) -> RGBImage {
        try decodeReportingWarning(data, options: options).image
    }

    /// Decodes an in-memory image file, with the warning a decoder gave about a file it still read whole.
    public static func decodeReportingWarning(_ data: Data, options: DecodeOptions = DecodeOptions()) throws(ImageDecodingError) -> DecodedImage {
        let result: Result<DecodedImage, ImageDecodingError> = data.withUnsafeBytes { raw in
            let bytes = UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count)
            return Result { () throws(ImageDecodingError) in try decode(bytes: bytes, options: options) }
        }
        return try result.get()
    }

    /// Decodes an in-memory image file given as bytes.
    public static func decode(_ bytes: [UInt8], options: DecodeOptions = DecodeOptions()) throws(ImageDecodingError) -> RGBImage {
        let result: Result<RGBImage, ImageDecodingError> = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(ImageDecodingError) in try decode(bytes: buffer, options: options).image }
        }
        return try result.get()
    }

    /// Reads and decodes the file at `url`. File-system failures surface as `ImageLoadError`
    /// with reason `.unreadable`; decoding failures as `ImageLoadError` with reason `.decoding`.
    public static func decode(contentsOf url: URL, options: DecodeOptions = DecodeOptions()) throws(ImageLoadError) -> RGBImage {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ImageLoadError(path: url.path, reason: .unreadable(String(describing: error.localizedDescription)))
        }
        do {
            return try decode(data, options: options)
        } catch {
            throw ImageLoadError(path: url.path, reason: .decoding(error))
        }
    }

    /// The format and full-resolution size of an image, read from its header only.
    public static func header(_ data: Data) throws(ImageDecodingError) -> (format: ImageFormat, size: ImageSize) {
        let result: Result<(ImageFormat, ImageSize), ImageDecodingError> = data.withUnsafeBytes { raw in
            let bytes = UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count)
            return Result { () throws(ImageDecodingError) in
                guard bytes.count > 0 else { throw .empty }
                guard let format = ImageFormat.sniff(bytes) else { throw .unknownFormat(firstBytes: Array(bytes.prefix(8))) }
                switch format {
                case .jpeg: return (format, try JPEGCodec.header(bytes))
                case .png: return (format, try PNGCodec.header(bytes))
                case .bmp: return (format, try BMPDecoder.header(bytes).size)
                }
            }
        }
        let (format, size) = try result.get()
        return (format, size)
    }

    static func decode(bytes: UnsafeBufferPointer<UInt8>, options: DecodeOptions) throws(ImageDecodingError) -> DecodedImage {
        guard bytes.count > 0 else { throw .empty }
        guard let format = ImageFormat.sniff(bytes) else {
            throw .unknownFormat(firstBytes: Array(bytes.prefix(8)))
        }
        switch format {
        case .jpeg: return try JPEGCodec.decode(bytes, options: options)
        case .png: return DecodedImage(image: try PNGCodec.decode(bytes, maxPixels: options.maxPixels))
        case .bmp: return DecodedImage(image: try BMPDecoder.decode(bytes, maxPixels: options.maxPixels))
        }
    }

    /// A colour sample with alpha `a` composited on white, rounded: what PNG and BMP alpha become.
    @inline(__always) static func onWhite(_ c: UInt8, alpha a: UInt8) -> UInt8 {
        let (c, a) = (UInt32(c), UInt32(a))
        let sum: UInt32 = c * a + 255 * (255 - a) + 127
        return UInt8(sum / 255)
    }

    /// Throws `.tooLarge` when `width × height` exceeds `maxPixels` (or overflows).
    static func checkBomb(width: Int, height: Int, maxPixels: Int) throws(ImageDecodingError) {
        let (product, overflow) = width.multipliedReportingOverflow(by: height)
        if overflow || product > maxPixels { throw .tooLarge(width: width, height: height, maxPixels: maxPixels) }
    }
}
