import Foundation
import Testing

@testable import Imaging

private struct PillowFixture: Decodable {
    struct Case: Decodable {
        let width: Int
        let height: Int
        let box: [Int]?
        let pixels: [UInt8]
    }
    let width: Int
    let height: Int
    let pixels: [UInt8]
    let cases: [Case]
}

@Suite struct ResizeTests {
    @Test func matchesPillowBilinearWithinOne() throws {
        let url = try #require(Bundle.module.url(forResource: "resize_pillow", withExtension: "json", subdirectory: "Fixtures"))
        let fixture = try JSONDecoder().decode(PillowFixture.self, from: Data(contentsOf: url))
        let source = RGBImage(width: fixture.width, height: fixture.height, pixels: fixture.pixels)
        #expect(fixture.cases.count == 7)
        for c in fixture.cases {
            let region = c.box.map { CropRect(x: $0[0], y: $0[1], width: $0[2] - $0[0], height: $0[3] - $0[1]) }
            let out = Resize.rgb8(source, to: ImageSize(width: c.width, height: c.height), region: region)
            #expect(out.width == c.width && out.height == c.height)
            #expect(maxAbsDiff(out.pixels, c.pixels) <= 1, "case \(c.width)x\(c.height) box \(String(describing: c.box))")
            // The float path is the same filter without the final rounding.
            let chw = Resize.chw(source, to: ImageSize(width: c.width, height: c.height), region: region)
            let n = c.width * c.height
            var worst: Float = 0
            for i in 0..<n { for ch in 0..<3 { worst = max(worst, abs(chw[ch * n + i] * 255 - Float(c.pixels[3 * i + ch]))) } }
            #expect(worst <= 1.01)
        }
    }

    @Test func identityAndConstantImages() {
        let img = gradientImage(width: 13, height: 9)
        #expect(Resize.rgb8(img, to: ImageSize(width: 13, height: 9)) == img)
        let flat = RGBImage(width: 50, height: 31, fill: (200, 100, 7))
        let small = Resize.rgb8(flat, to: ImageSize(side: 8))
        #expect(small == RGBImage(width: 8, height: 8, fill: (200, 100, 7)))
    }

    @Test func weightsSumToOneAndStayInside() {
        for (inSize, outSize) in [(320, 224), (240, 224), (7, 3), (3, 10), (1, 5), (100, 1)] {
            let w = Resampler.Weights(in0: 0, in1: inSize, inSize: inSize, outSize: outSize)
            for i in 0..<outSize {
                let sum = (0..<w.taps).reduce(Float(0)) { $0 + w.weights[i * w.taps + $1] }
                #expect(abs(sum - 1) < 1e-5)
                #expect(w.start[i] >= 0 && w.start[i] + w.taps <= inSize)
            }
        }
    }

    @Test func chwLayoutIsPlanar() {
        let img = RGBImage(width: 2, height: 1, pixels: [255, 0, 51, 0, 255, 102])
        let chw = Resize.chw(img)
        let expected: [Float] = [1, 0, 0, 1, 0.2, 0.4]
        #expect(zip(chw, expected).allSatisfy { abs($0 - $1) < 1e-6 })
    }
}

@Suite struct TinyImageTests {
    /// Degenerate sizes never crash, in every crop mode, and give S×S.
    @Test(arguments: [(1, 1), (2, 3), (3, 2), (1, 40), (40, 1), (9, 7)])
    func preprocessTinyImages(size: (Int, Int)) {
        let image = gradientImage(width: size.0, height: size.1)
        for crop in CropMode.allCases {
            let out = PreprocessOptions(side: 10, crop: crop).preprocess(image)
            #expect(out.image.width == 10 && out.image.height == 10)
        }
        let up = Resize.chw(image, to: ImageSize(width: 17, height: 5))
        #expect(up.count == 3 * 17 * 5 && up.allSatisfy { $0 >= -1e-5 && $0 <= 1 + 1e-5 })
    }

    @Test func emptyImageGivesBlack() {
        let empty = RGBImage(width: 0, height: 0, pixels: [])
        #expect(Resize.rgb8(empty, to: ImageSize(side: 4)) == RGBImage(width: 4, height: 4))
        #expect(!NucleusCrop.locate(in: empty).found)
        #expect(PreprocessOptions(side: 4, crop: .nucleus).preprocess(empty).image.width == 4)
    }
}
