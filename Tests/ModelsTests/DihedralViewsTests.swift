import Determinism
import Foundation
import Testing

@testable import Compute
@testable import Models

@Suite("Dihedral views")
struct DihedralViewsTests {
    /// A 3×3 single-channel image with distinct pixels 0…8.
    let image: [Float] = (0..<9).map(Float.init)

    @Test func viewsAreTheEightDistinctSymmetriesOfTheSquare() {
        let views = DihedralViews.stack(image, n: 1, channels: 1, side: 3, views: 8)
        let each = (0..<8).map { Array(views[($0 * 9)..<($0 * 9 + 9)]) }
        #expect(each[0] == image)
        // A quarter turn: the first row of the output is the input's last column, read top-down.
        #expect(each[1] == [2, 5, 8, 1, 4, 7, 0, 3, 6])
        #expect(each[2] == [8, 7, 6, 5, 4, 3, 2, 1, 0])
        #expect(each[4] == [2, 1, 0, 5, 4, 3, 8, 7, 6])
        #expect(Set(each.map { $0.map(Int.init) }).count == 8)
        for v in each { #expect(v.sorted() == image) }
        #expect(DihedralViews.transforms(2) == [0, 4] && DihedralViews.transforms(4) == [0, 1, 2, 3])
    }

    @Test(arguments: [2, 4, 8])
    func theViewsOfATurnedImageAreTheSameSet(_ views: Int) {
        // Each allowed view set is a group: turning the image by one of its members permutes its views.
        for t in DihedralViews.transforms(views) {
            let turned = DihedralViews.stack(image, n: 1, channels: 1, side: 3, transforms: [t])
            let a = DihedralViews.stack(image, n: 1, channels: 1, side: 3, views: views)
            let b = DihedralViews.stack(turned, n: 1, channels: 1, side: 3, views: views)
            let setA = Set((0..<views).map { a[($0 * 9)..<($0 * 9 + 9)].map(Int.init) })
            let setB = Set((0..<views).map { b[($0 * 9)..<($0 * 9 + 9)].map(Int.init) })
            #expect(setA == setB, "transform \(t)")
        }
    }

    @Test func averageBackwardIsTheAdjointOfAverage() {
        var rng = SeededGenerator(seed: 4)
        let (n, d, v) = (3, 5, 8)
        let y = (0..<(v * n * d)).map { _ in Double(rng.nextGaussian()) }
        let g = (0..<(n * d)).map { _ in Double(rng.nextGaussian()) }
        let forward = DihedralViews.average(y.map(Float.init), views: v)
        let backward = DihedralViews.averageBackward(g.map(Float.init), views: v)
        #expect(forward.count == n * d && backward.count == v * n * d)
        let lhs = zip(forward, g).reduce(0.0) { $0 + Double($1.0) * $1.1 }
        let rhs = zip(y, backward).reduce(0.0) { $0 + $1.0 * Double($1.1) }
        #expect(abs(lhs - rhs) <= 1e-4 * max(1, abs(lhs)), "⟨A y, g⟩ = \(lhs), ⟨y, Aᵀ g⟩ = \(rhs)")
    }

    func smallAutoencoder(side: Int) -> Autoencoder {
        var spec = AutoencoderSpec()
        spec.backbone = .resnet18
        spec.imageSize = side
        let ae = Autoencoder(spec, seed: 5)
        ae.encoder.setTraining(true)
        for (_, l) in ae.encoder.namedLayers() { (l as? BatchNorm2d)?.freezeStatistics = true }
        return ae
    }

    /// Pooled at 32², and flat at 64² (a 2×2 map, so positions matter).
    @Test(arguments: [(FeatureMode.pooled, 32), (.flat, 64)])
    func featuresDoNotDependOnTheImagesOrientation(_ mode: FeatureMode, _ side: Int) throws {
        let ae = smallAutoencoder(side: side)
        var rng = SeededGenerator(seed: 6)
        let x = Tensor.randomNormal([2, 3, side, side], using: &rng)
        for (t, views) in [(5, 8), (1, 4), (4, 2)] {
            let turned = try Tensor(shape: x.shape, values: DihedralViews.stack(x.toArray(), n: 2, channels: 3, side: side, transforms: [t]))
            let a = try FeatureExtractor(backbone: ae.encoder, mode: mode, views: views).features(x).toArray()
            let b = try FeatureExtractor(backbone: ae.encoder, mode: mode, views: views).features(turned).toArray()
            let scale = a.map(abs).max() ?? 1
            #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-4 * scale }, "transform \(t), \(views) views")
            // Without the views, turning the image changes its features.
            let one = FeatureExtractor(backbone: ae.encoder, mode: mode)
            let single = try one.features(x).toArray()
            let singleTurned = try one.features(turned).toArray()
            #expect(zip(single, singleTurned).contains { abs($0 - $1) > 1e-2 * scale })
        }
        #expect(throws: ComputeError.self) { try FeatureExtractor(backbone: ae.encoder, mode: mode, views: 3).features(x) }
    }

    @Test(arguments: [(FeatureMode.pooled, 32), (.flat, 64)])
    func viewsEqualTheAverageOfSingleViewPasses(_ mode: FeatureMode, _ side: Int) throws {
        let ae = smallAutoencoder(side: side)
        var rng = SeededGenerator(seed: 7)
        let (n, views) = (2, 4)
        let x = Tensor.randomNormal([n, 3, side, side], using: &rng)
        let d = ae.spec.featureDimension(mode)
        let g = (0..<(n * d)).map { _ in Float(rng.nextGaussian()) }

        // Stacked: one pass over 4·N images.
        let stacked = FeatureExtractor(backbone: ae.encoder, mode: mode, views: views)
        let conv1 = (ae.encoder as! ResNet).conv1
        let z = try stacked.features(x).toArray()
        ae.encoder.zeroGrad()
        try stacked.backward(Tensor(shape: [n, d], values: g))
        let stackedGrad = try #require(conv1.weight.grad).toArray()
        #expect(throws: ComputeError.self) { try stacked.backward(Tensor(shape: [n + 1, d], values: [Float](repeating: 0, count: (n + 1) * d))) }
        let single = FeatureExtractor(backbone: ae.encoder, mode: mode)

        // By hand: each view alone, averaged; the gradients (each 1/4 of g) summed.
        var expected = [Float](repeating: 0, count: n * d)
        var expectedGrad = [Float](repeating: 0, count: stackedGrad.count)
        for t in DihedralViews.transforms(views) {
            let view = try Tensor(shape: x.shape, values: DihedralViews.stack(x.toArray(), n: n, channels: 3, side: side, transforms: [t]))
            let f = try single.features(view).toArray()
            for i in expected.indices { expected[i] += f[i] / Float(views) }
            ae.encoder.zeroGrad()
            try single.backward(Tensor(shape: [n, d], values: g.map { $0 / Float(views) }))
            for (i, v) in try #require(conv1.weight.grad).toArray().enumerated() { expectedGrad[i] += v }
        }
        let zScale = expected.map(abs).max() ?? 1
        let gScale = expectedGrad.map(abs).max() ?? 1
        #expect(zip(z, expected).allSatisfy { abs($0 - $1) <= 1e-4 * zScale })
        #expect(zip(stackedGrad, expectedGrad).allSatisfy { abs($0 - $1) <= 1e-3 * gScale })
        #expect(gScale > 0)
    }
}
