import Compute
import Foundation
import Imaging

extension FuzzTarget {
    /// Small valid inputs fuzzing starts from (`wbc-fuzz --make-corpus DIR`, which `Scripts/fuzz.sh` runs
    /// before fuzzing). The `.pth` seeds are the PyTorch-written fixtures of `Tests/ModelsTests/Fixtures` (zip and legacy
    /// format), copied by the script.
    public func seeds() throws -> [(name: String, bytes: Data)] {
        let gradient = Self.gradient(width: 24, height: 16)
        let cell = SyntheticSmears.render(.monocyte, seed: 1, index: 0, options: SyntheticSmears.Options(size: ImageSize(width: 40, height: 30)))
        switch self {
        case .jpeg:
            let plain = try ImageEncoding.jpeg(gradient, quality: 90)
            return [
                ("gradient.jpg", Data(plain)), ("cell-q50.jpg", Data(try ImageEncoding.jpeg(cell, quality: 50))),
                ("exif-rotated.jpg", Data(Self.withExifOrientation(plain, 6))),
            ]
        case .png:
            return [("gradient.png", Data(try ImageEncoding.png(gradient))), ("cell.png", Data(try ImageEncoding.png(cell)))]
        case .bmp:
            return [("gradient.bmp", Data(ImageEncoding.bmp(gradient))), ("cell.bmp", Data(ImageEncoding.bmp(cell)))]
        case .safetensors:
            let weights = try HostTensor(shape: [2, 3], values: [1, -2, 3.5, 0, 1e-3, 7])
            let steps = try HostIntegerTensor(shape: [1], values: [42])
            return [
                (
                    "small.safetensors",
                    try SafeTensorsWriter.encode(floats: ["layer.weight": weights], integers: ["bn.num_batches_tracked": steps], metadata: ["wbc.epoch": "3"])
                )
            ]
        case .pth:
            return []
        case .labels:
            let kaggle = ",Image,Category\r\n,0,NEUTROPHIL\r\n,1,\r\n,2,\"NEUTROPHIL, EOSINOPHIL\"\r\n,3,monocyte\r\n"
            var latin1 = Array("Image,Category\n1,BASOPHIL\n2,caf".utf8)
            latin1 += [0xE9, 0x0A]
            return [("kaggle.csv", Data(kaggle.utf8)), ("latin1.csv", Data(latin1))]
        case .folder:
            // ROOT/A/one.png, ROOT/B/two.bmp, an empty folder, a loose image, a dangling link.
            let png = try ImageEncoding.png(Self.gradient(width: 4, height: 3))
            let bmp = ImageEncoding.bmp(Self.gradient(width: 3, height: 2))
            var classes: [UInt8] = [0, 0] + Array("A".utf8) + [0] + [0, 0] + Array("B".utf8) + [0] + [0, 0] + Array("EMPTY".utf8) + [0]
            classes += [1, 1] + Array("one.png".utf8) + [0, UInt8(png.count)] + png
            classes += [1, 2] + Array("two.bmp".utf8) + [0, UInt8(bmp.count)] + bmp
            let loose = [1, 0] + Array("loose.png".utf8) + [0, UInt8(png.count)] + png + [2, 1] + Array("gone.jpg".utf8) + [0]
            let labelled: [UInt8] = [3, 0, 0, 20] + Array("Image,Category\n1,A\n".utf8)
            return [("classes.tree", Data(classes)), ("loose.tree", Data(classes + loose)), ("labels.tree", Data(labelled + loose))]
        }
    }

    /// libFuzzer dictionary entries: the format's keywords and markers.
    public var dictionary: [String] {
        switch self {
        case .jpeg:
            return [
                #""\xFF\xD8""#, #""\xFF\xE0""#, #""\xFF\xE1""#, #""Exif\x00\x00""#, #""MM\x00*""#, #""II*\x00""#, #""\x01\x12""#,
                #""\xFF\xDB""#, #""\xFF\xC0""#, #""\xFF\xC2""#, #""\xFF\xC4""#, #""\xFF\xDA""#, #""\xFF\xDD""#, #""\xFF\xD9""#, #""\xFF\xEE""#,
            ]
        case .png:
            return [#""\x89PNG\x0D\x0A\x1A\x0A""#, #""IHDR""#, #""PLTE""#, #""tRNS""#, #""IDAT""#, #""IEND""#, #""gAMA""#, #""sRGB""#, #""iCCP""#, #""sBIT""#]
        case .bmp:
            return [
                #""BM""#, #""\x28\x00\x00\x00""#, #""\x6C\x00\x00\x00""#, #""\x7C\x00\x00\x00""#, #""\x20\x00""#, #""\x03\x00\x00\x00""#,
                #""\xFF\xFF\xFF\xFF""#,
            ]
        case .safetensors:
            return [
                #""\"dtype\"""#, #""\"shape\"""#, #""\"data_offsets\"""#, #""\"F32\"""#, #""\"F16\"""#, #""\"BF16\"""#, #""\"I64\"""#, #""\"__metadata__\"""#,
            ]
        case .pth:
            return [
                #""PK\x03\x04""#, #""PK\x01\x02""#, #""PK\x05\x06""#, #""data.pkl""#, #""byteorder""#, #""torch._utils""#, #""_rebuild_tensor_v2""#,
                #""FloatStorage""#, #""collections""#, #""OrderedDict""#, #""\x80\x02""#, #""storage""#,
                #""\x80\x02\x8A\x0A\x6C\xFC\x9C\x46\xF9\x20\x6A\xA8\x50\x19\x2E""#, #""little_endian""#, #""\x4D\xE9\x03""#,
            ]
        case .labels:
            return [#""Image""#, #""Category""#, #"",""#, #""\"""#, #""\x0D\x0A""#, #""NEUTROPHIL""#, #""\xEF\xBB\xBF""#]
        case .folder:
            return [
                #"".png\x00""#, #"".jpg\x00""#, #"".jpeg\x00""#, #"".bmp\x00""#, #"".txt\x00""#, #""\x89PNG\x0D\x0A\x1A\x0A""#, #""BM""#, #""\xFF\xD8\xFF""#,
            ]
        }
    }

    static func gradient(width: Int, height: Int) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width { image[x, y] = (UInt8(x * 255 / (width - 1)), UInt8(y * 255 / (height - 1)), UInt8((x * y) % 256)) }
        }
        return image
    }

    /// `jpeg` with an APP1 "Exif" segment declaring `orientation`, right after SOI.
    static func withExifOrientation(_ jpeg: [UInt8], _ orientation: UInt8) -> [UInt8] {
        let tiff: [UInt8] = [0x4D, 0x4D, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0]
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        return [0xFF, 0xD8, 0xFF, 0xE1, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload + jpeg.dropFirst(2)
    }
}
