import CTurboJPEG

/// TurboJPEG calls. Handles are created per call and always destroyed; no state is shared.
enum JPEGCodec {
    static func header(_ bytes: UnsafeBufferPointer<UInt8>) throws(ImageDecodingError) -> ImageSize {
        guard let handle = tjInitDecompress() else { throw .corrupt(format: .jpeg, detail: "cannot create a TurboJPEG decompressor") }
        defer { tjDestroy(handle) }
        let h = try readHeader(handle, bytes)
        let swaps = ExifOrientation.read(jpeg: bytes)?.swapsSides ?? false
        return swaps ? ImageSize(width: h.height, height: h.width) : ImageSize(width: h.width, height: h.height)
    }

    private struct Header {
        var width: Int
        var height: Int
        var colorspace: Int32
    }

    private static func readHeader(_ handle: tjhandle, _ bytes: UnsafeBufferPointer<UInt8>) throws(ImageDecodingError) -> Header {
        var width: Int32 = 0
        var height: Int32 = 0
        var subsamp: Int32 = 0
        var colorspace: Int32 = 0
        if tjDecompressHeader3(handle, bytes.baseAddress, UInt(bytes.count), &width, &height, &subsamp, &colorspace) != 0 {
            // Any warning here is refused: skipped bytes before the image data may be a destroyed table, and a
            // reused decompressor would silently fill it from the previous image's tables.
            let message = errorString(handle)
            if message.contains("Premature end") || !endsWithEOI(bytes) {
                throw .truncated(format: .jpeg, detail: message)
            }
            throw .corrupt(format: .jpeg, detail: message)
        }
        guard width > 0, height > 0 else { throw .corrupt(format: .jpeg, detail: "header gives size \(width)x\(height)") }
        return Header(width: Int(width), height: Int(height), colorspace: colorspace)
    }

    /// Whether a libjpeg warning while decoding leaves the image whole: only stray bytes after the image data,
    /// before the End-Of-Image marker (padding some writers add). Every other warning means libjpeg skipped
    /// something or filled what it could not decode with grey.
    static func isHarmless(_ warning: String) -> Bool { warning.contains("extraneous bytes before marker 0xd9") }

    /// libjpeg warnings about a stream that breaks the standard in a way libjpeg reads past without losing
    /// pixels: scan parameters a sequential decoder ignores, a JFIF version or thumbnail size it does not know.
    /// The image is accepted and the warning is passed on. TurboJPEG keeps only the last warning, so damage
    /// reported before a tolerable warning in a later scan of a multi-scan file would go unseen; no such file
    /// has been met, and single-scan files (all the data here) report the scan parameters first.
    static func isTolerable(_ warning: String) -> Bool {
        ["Invalid SOS parameters for sequential JPEG", "unknown JFIF revision number", "thumbnail image size does not match"]
            .contains { warning.contains($0) }
    }

    /// Whether the stream ends with the End-Of-Image marker (FF D9), ignoring trailing zero padding.
    /// A failing stream without it was most likely cut short.
    static func endsWithEOI(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var end = bytes.count
        while end > 0 && bytes[end - 1] == 0 { end -= 1 }
        return end >= 2 && bytes[end - 2] == 0xFF && bytes[end - 1] == 0xD9
    }

    static func errorString(_ handle: tjhandle) -> String {
        guard let c = tjGetErrorStr2(handle) else { return "unknown TurboJPEG error" }
        return String(cString: c)
    }

    /// Largest reduction among 1/8, 1/4, 1/2 that keeps the image at least `minimum`; 1/1 otherwise.
    static func scale(width: Int, height: Int, minimum: ImageSize?) -> (num: Int, denom: Int) {
        guard let minimum else { return (1, 1) }
        for denom in [8, 4, 2] {
            let w = (width + denom - 1) / denom
            let h = (height + denom - 1) / denom
            if w >= minimum.width && h >= minimum.height { return (1, denom) }
        }
        return (1, 1)
    }

    /// Decodes the whole stream, turned upright by its EXIF orientation; with the warning libjpeg gave, if it
    /// was tolerable (`isTolerable`).
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, options: DecodeOptions) throws(ImageDecodingError) -> DecodedImage {
        guard let handle = tjInitDecompress() else { throw .corrupt(format: .jpeg, detail: "cannot create a TurboJPEG decompressor") }
        defer { tjDestroy(handle) }
        let plan = try plan(handle, bytes, options)
        let channels = plan.isCMYK ? 4 : 3
        var out = [UInt8](unsafeUninitializedCapacity: plan.width * plan.height * channels) { buffer, count in
            count = buffer.count
        }
        let status = out.withUnsafeMutableBufferPointer { dst in decompress(handle, bytes, plan, into: dst.baseAddress!) }
        let warning = try check(status, handle, bytes, options)
        if plan.isCMYK { out = cmykToRGB(out, pixelCount: plan.width * plan.height) }
        let image = RGBImage(width: plan.width, height: plan.height, pixels: out)
        return DecodedImage(image: ExifOrientation.read(jpeg: bytes)?.apply(to: image) ?? image, warning: warning)
    }

    /// Decodes into the thread's scratch bytes and hands `body` a view of them (no allocation per image), with
    /// the tolerable warning libjpeg gave. CMYK/YCCK files and files with an EXIF orientation to apply go through
    /// `decode` instead.
    static func withDecoded<R>(
        _ bytes: UnsafeBufferPointer<UInt8>, options: DecodeOptions, scratch: ThreadScratch,
        _ body: (PixelView) -> R
    ) throws(ImageDecodingError) -> (result: R, warning: String?) {
        guard let handle = scratch.jpegDecompressor() else { throw .corrupt(format: .jpeg, detail: "cannot create a TurboJPEG decompressor") }
        let plan: Plan
        do { plan = try self.plan(handle, bytes, options) } catch {
            scratch.discardJPEGDecompressor()
            throw error
        }
        if plan.isCMYK || (ExifOrientation.read(jpeg: bytes) ?? .up) != .up {
            let decoded = try decode(bytes, options: options)
            let image = decoded.image
            let result = image.pixels.withUnsafeBufferPointer { body(PixelView(base: $0.baseAddress!, width: image.width, height: image.height)) }
            return (result, decoded.warning)
        }
        let dst = scratch.byteBuffer(plan.width * plan.height * 3)
        let status = decompress(handle, bytes, plan, into: dst)
        var warning: String? = nil
        if status != 0 {
            // Read the message first, then never reuse this handle.
            defer { scratch.discardJPEGDecompressor() }
            warning = try check(status, handle, bytes, options)
        }
        return (body(PixelView(base: UnsafePointer(dst), width: plan.width, height: plan.height)), warning)
    }

    private struct Plan {
        var width: Int
        var height: Int
        var isCMYK: Bool
    }

    /// Reads the header, applies the bomb guard and picks the decoding scale.
    private static func plan(_ handle: tjhandle, _ bytes: UnsafeBufferPointer<UInt8>, _ options: DecodeOptions) throws(ImageDecodingError) -> Plan {
        let header = try readHeader(handle, bytes)
        try ImageDecoding.checkBomb(width: header.width, height: header.height, maxPixels: options.maxPixels)
        let (num, denom) = scale(width: header.width, height: header.height, minimum: options.minimumSize)
        let isCMYK = header.colorspace == Int32(TJCS_CMYK.rawValue) || header.colorspace == Int32(TJCS_YCCK.rawValue)
        return Plan(width: (header.width * num + denom - 1) / denom, height: (header.height * num + denom - 1) / denom, isCMYK: isCMYK)
    }

    private static func decompress(
        _ handle: tjhandle, _ bytes: UnsafeBufferPointer<UInt8>, _ plan: Plan,
        into dst: UnsafeMutablePointer<UInt8>
    ) -> Int32 {
        let format = plan.isCMYK ? TJPF_CMYK : TJPF_RGB
        return tjDecompress2(
            handle, bytes.baseAddress, UInt(bytes.count), dst,
            Int32(plan.width), 0, Int32(plan.height), Int32(format.rawValue), 0)
    }

    /// Turns a non-zero TurboJPEG status into an error, or accepts a harmless warning (nil) or a tolerable one
    /// (returned, to be shown).
    private static func check(
        _ status: Int32, _ handle: tjhandle, _ bytes: UnsafeBufferPointer<UInt8>,
        _ options: DecodeOptions
    ) throws(ImageDecodingError) -> String? {
        guard status != 0 else { return nil }
        let message = errorString(handle)
        let isWarning = tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue)
        if isWarning {
            // Only stray bytes between segments leave the image whole. libjpeg fills what it could not decode
            // (a damaged entropy segment, a bad Huffman code, data that stops early) with grey and warns.
            if isHarmless(message) { return nil }
            if isTolerable(message) && endsWithEOI(bytes) { return message }
            if message.contains("Premature end of JPEG file") || !endsWithEOI(bytes) {
                if options.allowTruncatedJPEG { return message }
                throw .truncated(format: .jpeg, detail: message)
            }
            throw .corrupt(format: .jpeg, detail: message)
        } else if message.contains("Premature end") || !endsWithEOI(bytes) {
            throw .truncated(format: .jpeg, detail: message)
        } else {
            throw .corrupt(format: .jpeg, detail: message)
        }
    }

    /// Adobe-style (inverted) CMYK as libjpeg returns it: 255 means no ink, so R = C·K/255 etc.
    static func cmykToRGB(_ cmyk: [UInt8], pixelCount: Int) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: pixelCount * 3)
        for i in 0..<pixelCount {
            let k = UInt32(cmyk[4 * i + 3])
            for c in 0..<3 {
                rgb[3 * i + c] = UInt8((UInt32(cmyk[4 * i + c]) * k + 127) / 255)
            }
        }
        return rgb
    }

    /// Compresses interleaved pixels (3 channels RGB, or 4 channels inverted CMYK) to JPEG.
    static func encode(
        pixels: [UInt8], width: Int, height: Int, cmyk: Bool = false, grayscale: Bool = false,
        quality: Int
    ) throws(ImageEncodingError) -> [UInt8] {
        guard let handle = tjInitCompress() else { throw ImageEncodingError(format: .jpeg, detail: "cannot create a TurboJPEG compressor") }
        defer { tjDestroy(handle) }
        var jpegBuf: UnsafeMutablePointer<UInt8>? = nil
        var jpegSize: UInt = 0
        let format = cmyk ? TJPF_CMYK : TJPF_RGB
        let samp = grayscale ? TJSAMP_GRAY : TJSAMP_420
        let status = pixels.withUnsafeBufferPointer { src in
            tjCompress2(
                handle, src.baseAddress, Int32(width), 0, Int32(height), Int32(format.rawValue),
                &jpegBuf, &jpegSize, Int32(samp.rawValue), Int32(quality), 0)
        }
        defer { if let jpegBuf { tjFree(jpegBuf) } }
        guard status == 0, let jpegBuf else { throw ImageEncodingError(format: .jpeg, detail: errorString(handle)) }
        return Array(UnsafeBufferPointer(start: jpegBuf, count: Int(jpegSize)))
    }
}
