import CPNG

/// libpng simplified-API calls (no setjmp). Every `png_image` that was begun is freed.
enum PNGCodec {
    // PNG_FORMAT_* flag values from png.h (the composite macros do not import into Swift).
    static let flagAlpha: UInt32 = 0x01
    static let flagColor: UInt32 = 0x02
    static let flagLinear: UInt32 = 0x04
    static let flagColormap: UInt32 = 0x08
    // PNG_IMAGE_FLAG_16BIT_sRGB: 16-bit samples are sRGB-encoded like 8-bit ones. Without it libpng takes 16-bit
    // data that carries no gAMA/sRGB chunk (what Pillow, OpenCV and many cameras write) as linear and
    // gamma-encodes it on the way to 8 bits: mid-grey 128·257 came back as 186.
    static let imageFlag16BitSRGB: UInt32 = 0x04

    static func newImage() -> png_image {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        return image
    }

    static func message(_ image: png_image) -> String {
        withUnsafeBytes(of: image.message) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    private static func begin(_ image: inout png_image, _ bytes: UnsafeBufferPointer<UInt8>) throws(ImageDecodingError) {
        if png_image_begin_read_from_memory(&image, bytes.baseAddress, bytes.count) == 0 {
            let detail = message(image)
            png_image_free(&image)
            if detail.contains("EOF") || detail.contains("Not enough") || detail.contains("truncat") {
                throw .truncated(format: .png, detail: detail)
            }
            throw .corrupt(format: .png, detail: detail)
        }
    }

    static func header(_ bytes: UnsafeBufferPointer<UInt8>) throws(ImageDecodingError) -> ImageSize {
        var image = newImage()
        try begin(&image, bytes)
        defer { png_image_free(&image) }
        return ImageSize(width: Int(image.width), height: Int(image.height))
    }

    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, maxPixels: Int) throws(ImageDecodingError) -> RGBImage {
        var image = newImage()
        try begin(&image, bytes)
        let width = Int(image.width)
        let height = Int(image.height)
        do {
            try ImageDecoding.checkBomb(width: width, height: height, maxPixels: maxPixels)
        } catch {
            png_image_free(&image)
            throw error
        }
        // Read 8-bit sRGB RGBA (libpng expands palette, gray, 16-bit) and composite on white ourselves.
        image.format = flagColor | flagAlpha
        image.flags |= imageFlag16BitSRGB
        var rgba = [UInt8](repeating: 0, count: width * height * 4)
        let ok = rgba.withUnsafeMutableBytes { dst in
            png_image_finish_read(&image, nil, dst.baseAddress, 0, nil)
        }
        // finish_read frees the image's internal state in every case.
        guard ok != 0 else {
            let detail = message(image)
            if detail.contains("EOF") || detail.contains("Not enough") || detail.contains("truncat") {
                throw .truncated(format: .png, detail: detail)
            }
            throw .corrupt(format: .png, detail: detail)
        }
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            for c in 0..<3 { rgb[3 * i + c] = ImageDecoding.onWhite(rgba[4 * i + c], alpha: rgba[4 * i + 3]) }
        }
        return RGBImage(width: width, height: height, pixels: rgb)
    }

    /// Writes raw samples as PNG. `format` is a combination of the flag constants above; with
    /// `flagLinear` the samples are 16-bit (passed as little/host-endian `UInt16` bytes).
    static func encode(
        raw: [UInt8], width: Int, height: Int, format: UInt32,
        colormap: [UInt8]? = nil, colormapEntries: Int = 0
    ) throws(ImageEncodingError) -> [UInt8] {
        var image = newImage()
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = format
        image.colormap_entries = UInt32(colormapEntries)
        var size = 0
        let probe = raw.withUnsafeBytes { src in
            withOptionalPointer(colormap) { cmap in
                png_image_write_to_memory(&image, nil, &size, 0, src.baseAddress, 0, cmap)
            }
        }
        guard probe != 0, size > 0 else {
            let detail = message(image)
            png_image_free(&image)
            throw ImageEncodingError(format: .png, detail: detail)
        }
        var out = [UInt8](repeating: 0, count: size)
        let ok = out.withUnsafeMutableBytes { dst in
            raw.withUnsafeBytes { src in
                withOptionalPointer(colormap) { cmap in
                    png_image_write_to_memory(&image, dst.baseAddress, &size, 0, src.baseAddress, 0, cmap)
                }
            }
        }
        guard ok != 0 else {
            let detail = message(image)
            png_image_free(&image)
            throw ImageEncodingError(format: .png, detail: detail)
        }
        png_image_free(&image)
        return Array(out.prefix(size))
    }

    private static func withOptionalPointer<R>(_ array: [UInt8]?, _ body: (UnsafeRawPointer?) -> R) -> R {
        guard let array else { return body(nil) }
        return array.withUnsafeBytes { body($0.baseAddress) }
    }
}
