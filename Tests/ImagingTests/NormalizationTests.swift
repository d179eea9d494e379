import Foundation
import Testing

@testable import Imaging

@Suite struct NormalizationTests {
    @Test func imagenetAndHalf() throws {
        var x: [Float] = [0.485, 1, 0.456, 0, 0.406, 0.5]  // [3, 1, 2]
        try Normalization.imagenet.apply(to: &x)
        #expect(abs(x[0]) < 1e-6 && abs(x[2]) < 1e-6 && abs(x[4]) < 1e-6)
        #expect(abs(x[1] - (1 - 0.485) / 0.229) < 1e-5)
        var h: [Float] = [0, 0.5, 1, 0.25, 0.75, 1]
        try Normalization.half.apply(to: &h)
        #expect(h == [-1, 0, 1, -0.5, 0.5, 1])
        try Normalization.half.invert(&h)
        #expect(h == [0, 0.5, 1, 0.25, 0.75, 1])
    }

    @Test func datasetStatisticsPerPixelWithFloor() throws {
        let images: [[Float]] = [[0, 0.2, 0.5, 0.5, 1, 0], [1, 0.4, 0.5, 0.5, 1, 0]]
        let norm = try #require(Normalization.datasetStatistics(of: images, stdFloor: 0.01))
        guard case .dataset(let mean, let std) = norm else {
            Issue.record("expected .dataset")
            return
        }
        #expect(zip(mean, [0.5, 0.3, 0.5, 0.5, 1, 0] as [Float]).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(abs(std[0] - 0.5) < 1e-6 && abs(std[1] - 0.1) < 1e-6)
        #expect(std[2] == 0.01 && std[5] == 0.01)  // constant pixels get the floor
        var x = images[0]
        try norm.apply(to: &x)
        #expect(abs(x[0] + 1) < 1e-5 && abs(x[1] + 1) < 1e-4 && x[2] == 0)
        var wrong: [Float] = [1, 2, 3]
        #expect(throws: Normalization.ShapeMismatch.self) { try norm.apply(to: &wrong) }
    }

    @Test func codableRoundTrip() throws {
        for n in [Normalization.imagenet, .half, .dataset(mean: [0.1, 0.2, 0.3], std: [1, 2, 3])] {
            let data = try JSONEncoder().encode(n)
            #expect(try JSONDecoder().decode(Normalization.self, from: data) == n)
        }
        #expect(Normalization.datasetStatistics(of: [[Float]]()) == nil)
    }
}
