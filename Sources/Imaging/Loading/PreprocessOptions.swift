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

    public init(side: Int = 224, crop: CropMode = .none, nucleus: NucleusCropOptions = NucleusCropOptions(),
                decode: DecodeOptions = DecodeOptions()) {
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
}

extension PreprocessOptions {
    /// Decodes `url` and returns its S×S RGB8 version. Scaled JPEG decoding is used only when the
    /// whole image is resized (`crop == .none`), never below S×S.
    public func preprocess(_ url: URL) throws(ImageLoadError) -> PreprocessedImage {
        var decodeOptions = decode
        if crop == .none { decodeOptions.minimumSize = ImageSize(side: side) } else { decodeOptions.minimumSize = nil }
        let image = try ImageDecoding.decode(contentsOf: url, options: decodeOptions)
        return preprocess(image)
    }

    /// Crops and resizes an already decoded image to S×S RGB8.
    public func preprocess(_ image: RGBImage) -> PreprocessedImage {
        let target = ImageSize(side: side)
        switch crop {
        case .none:
            return PreprocessedImage(image: Resize.rgb8(image, to: target), nucleusFound: nil)
        case .centre:
            let c = NucleusCrop.centreFallback(image)
            return PreprocessedImage(image: Resize.rgb8(image, to: target, region: c.rect), nucleusFound: nil)
        case .nucleus:
            let c = NucleusCrop.locate(in: image, options: nucleus)
            return PreprocessedImage(image: Resize.rgb8(image, to: target, region: c.rect), nucleusFound: c.found)
        }
    }
}
