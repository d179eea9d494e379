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
        // A quarter turn: the first row of the output is the first column of the input, read bottom-up or top-down.
        #expect(each[1] == [2, 5, 8, 1, 4, 7, 0, 3, 6])
        #expect(each[2] == [8, 7, 6, 5, 4, 3, 2, 1, 0])
        #expect(each[4] == [2, 1, 0, 5, 4, 3, 8, 7, 6])
        #expect(Set(each.map { $0.map(Int.init) }).count == 8)
        for v in each { #expect(v.sorted() == image) }
        #expect(DihedralViews.transforms(2) == [0, 4] && DihedralViews.transforms(4) == [0, 1, 2, 3])
    }

    @Test(arguments: [2, 4, 8])
    func aligningTheViewsBackGivesTheImage(_ views: Int) {
        var rng = SeededGenerator(seed: 3)
        let x = (0..<(2 * 3 * 5 * 5)).map { _ in Float(rng.nextGaussian()) }
        let stacked = DihedralViews.stack(x, n: 2, channels: 3, side: 5, views: views)
        #expect(stacked.count == views * x.count)
        let back = DihedralViews.alignAndAverage(stacked, n: 2, channels: 3, side: 5, views: views)
        #expect(zip(back, x).allSatisfy { abs($0 - $1) <= 1e-6 })
    }

    @Test func backwardIsTheAdjointOfAlignAndAverage() {
        var rng = SeededGenerator(seed: 4)
        let (n, c, s, v) = (2, 3, 4, 8)
        let y = (0..<(v * n * c * s * s)).map { _ in Double(rng.nextGaussian()) }
        let g = (0..<(n * c * s * s)).map { _ in Double(rng.nextGaussian()) }
        let forward = DihedralViews.alignAndAverage(y.map(Float.init), n: n, channels: c, side: s, views: v)
        let backward = DihedralViews.alignAndAverageBackward(g.map(Float.init), n: n, channels: c, side: s, views: v)
        let lhs = zip(forward, g).reduce(0.0) { $0 + Double($1.0) * $1.1 }
        let rhs = zip(y, backward).reduce(0.0) { $0 + $1.0 * Double($1.1) }
        #expect(abs(lhs - rhs) <= 1e-4 * max(1, abs(lhs)), "⟨A y, g⟩ = \(lhs), ⟨y, Aᵀ g⟩ = \(rhs)")
    }

    func smallAutoencoder() -> Autoencoder {
        var spec = AutoencoderSpec()
        spec.backbone = .resnet18
        spec.imageSize = 32
        let ae = Autoencoder(spec, seed: 5)
        ae.encoder.setTraining(true)
        for (_, l) in ae.encoder.namedLayers() { (l as? BatchNorm2d)?.freezeStatistics = true }
        return ae
    }

    @Test func pooledFeaturesDoNotDependOnTheImagesOrientation() throws {
        let ae = smallAutoencoder()
        var rng = SeededGenerator(seed: 6)
        let x = Tensor.randomNormal([2, 3, 32, 32], using: &rng)
        let turned = try Tensor(shape: x.shape, values: DihedralViews.stack(x.toArray(), n: 2, channels: 3, side: 32, transforms: [5]))
        let single = try ae.features(x, mode: .pooled).toArray()
        let singleTurned = try ae.features(turned, mode: .pooled).toArray()
        let a = try ae.features(x, mode: .pooled, views: 8).toArray()
        let b = try ae.features(turned, mode: .pooled, views: 8).toArray()
        let scale = a.map(abs).max() ?? 1
        #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-4 * scale })
        // Without the views, turning the image changes its features.
        #expect(zip(single, singleTurned).contains { abs($0 - $1) > 1e-2 * scale })
        #expect(throws: ComputeError.self) { try ae.features(x, mode: .pooled, views: 3) }
    }

    @Test(arguments: [FeatureMode.pooled, .flat])
    func viewsEqualTheAverageOfSingleViewPasses(_ mode: FeatureMode) throws {
        let ae = smallAutoencoder()
        var rng = SeededGenerator(seed: 7)
        let (n, views) = (2, 4)
        let x = Tensor.randomNormal([n, 3, 32, 32], using: &rng)
        let d = ae.spec.featureDimension(mode)
        let g = (0..<(n * d)).map { _ in Float(rng.nextGaussian()) }

        // Stacked: one pass over 4·N images.
        let z = try ae.features(x, mode: mode, views: views).toArray()
        ae.encoder.zeroGrad()
        try ae.backwardFeatures(Tensor(shape: [n, d], values: g), mode: mode)
        let stackedGrad = try #require(ae.encoder.conv1.weight.grad).toArray()

        // By hand: each view alone, its features turned back, averaged; the gradients summed.
        let side = mode == .pooled ? 1 : ae.spec.trunkSide
        let c = ae.encoder.depth.featureChannels
        var expected = [Float](repeating: 0, count: n * d)
        var expectedGrad = [Float](repeating: 0, count: stackedGrad.count)
        for t in DihedralViews.transforms(views) {
            let view = try Tensor(shape: x.shape, values: DihedralViews.stack(x.toArray(), n: n, channels: 3, side: 32, transforms: [t]))
            let f = try ae.features(view, mode: mode).toArray()
            let maps = DihedralViews.tables([t], side: side)[0]
            let plane = side * side
            var gView = [Float](repeating: 0, count: n * d)
            for p in 0..<(n * c) {
                for o in 0..<plane {
                    expected[p * plane + maps[o]] += f[p * plane + o] / Float(views)
                    gView[p * plane + o] = g[p * plane + maps[o]] / Float(views)
                }
            }
            ae.encoder.zeroGrad()
            try ae.backwardFeatures(Tensor(shape: [n, d], values: gView), mode: mode)
            for (i, v) in try #require(ae.encoder.conv1.weight.grad).toArray().enumerated() { expectedGrad[i] += v }
        }
        let zScale = expected.map(abs).max() ?? 1, gScale = expectedGrad.map(abs).max() ?? 1
        #expect(zip(z, expected).allSatisfy { abs($0 - $1) <= 1e-4 * zScale })
        #expect(zip(stackedGrad, expectedGrad).allSatisfy { abs($0 - $1) <= 1e-3 * gScale })
        #expect(gScale > 0)
    }
}
