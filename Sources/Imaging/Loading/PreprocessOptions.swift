import Foundation

/// Which region of each image is resized to S×S.
public enum CropMode: String, Sendable, Codable, CaseIterable {
    /// The whole image, aspect ratio not kept (as Pillow's `resize((S, S))`).
    case none
    /// A square around the stained nucleus (`NucleusCrop`), centre square when none is found.
    case nucleus
    /// The largest centred square.
    case centre
}

/// Decode → crop → resize settings; saved with a model and in the preprocessing cache header.
public struct PreprocessOptions: Sendable, Codable, Equatable {
    /// Output side S in pixels (default 224).
    public var side: Int
    /// Crop before resizing (default `.none`).
    public var crop: CropMode
    /// Nucleus-finder settings, used when `crop == .nucleus`.
    public var nucleus: NucleusCropOptions
    /// Decoder limits (bomb guard, truncated JPEGs). `minimumSize` is set per image by `preprocess`.
    public var decode: DecodeOptions

    public init(
        side: Int = 224, crop: CropMode = .none, nucleus: NucleusCropOptions = NucleusCropOptions(),
        decode: DecodeOptions = DecodeOptions()
    ) {
        self.side = side
        self.crop = crop
        self.nucleus = nucleus
        self.decode = decode
    }
}

/// One image after decode, crop and resize.
public struct PreprocessedImage: Sendable {
    /// S×S RGB8.
    public var image: RGBImage
    /// Whether the nucleus finder succeeded (`nil` when `crop != .nucleus`).
    public var nucleusFound: Bool?
    /// What the decoder warned about a file it still read whole (`DecodedImage.warning`).
    public var warning: String? = nil
}

extension PreprocessOptions {
    /// Decodes `url` and returns its S×S RGB8 version. Scaled JPEG decoding is used only when the
    /// whole image is resized (`crop == .none`), never below S×S. JPEGs are decoded into per-thread
    /// scratch memory, so this allocates little more than the result.
    public func preprocess(_ url: URL) throws(ImageLoadError) -> PreprocessedImage {
        var decodeOptions = decode
        decodeOptions.minimumSize = crop == .none ? ImageSize(side: side) : nil
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ImageLoadError(path: url.path, reason: .unreadable(error.localizedDescription))
        }
        let result: Result<PreprocessedImage, ImageDecodingError> = data.withUnsafeBytes { raw in
            let bytes = UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count)
            return Result { () throws(ImageDecodingError) in
                if ImageFormat.sniff(bytes) == .jpeg {
                    var (result, warning) = try JPEGCodec.withDecoded(bytes, options: decodeOptions, scratch: ThreadScratch.current) { view in
                        preprocess(view)
                    }
                    result.warning = warning
                    return result
                }
                return preprocess(try ImageDecoding.decode(bytes: bytes, options: decodeOptions).image)
            }
        }
        do { return try result.get() } catch { throw ImageLoadError(path: url.path, reason: .decoding(error)) }
    }

    /// Crops and resizes an already decoded image to S×S RGB8.
    public func preprocess(_ image: RGBImage) -> PreprocessedImage {
        image.pixels.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, image.width > 0, image.height > 0 else {
                return PreprocessedImage(image: RGBImage(width: side, height: side), nucleusFound: crop == .nucleus ? false : nil)
            }
            return preprocess(PixelView(base: base, width: image.width, height: image.height))
        }
    }

    func preprocess(_ view: PixelView) -> PreprocessedImage {
        let target = ImageSize(side: side)
        switch crop {
        case .none:
            return PreprocessedImage(image: Resize.rgb8(view, to: target, region: nil), nucleusFound: nil)
        case .centre:
            let c = NucleusCrop.centreFallback(view.size)
            return PreprocessedImage(image: Resize.rgb8(view, to: target, region: c.rect), nucleusFound: nil)
        case .nucleus:
            let c = NucleusCrop.locate(in: view, options: nucleus)
            return PreprocessedImage(image: Resize.rgb8(view, to: target, region: c.rect), nucleusFound: c.found)
        }
    }
}
