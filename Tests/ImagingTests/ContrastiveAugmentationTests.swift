import Determinism
import Foundation
import Testing

@testable import Imaging

@Suite("Contrastive augmentation")
struct ContrastiveAugmentationTests {
    func image(side: Int, seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<(3 * side * side)).map { _ in 0.2 + 0.6 * rng.nextUniform() }
    }

    @Test func theSameStreamGivesTheSameViewAndAnotherStreamAnother() {
        let x = image(side: 32, seed: 1)
        let augmentation = ContrastiveAugmentation()
        var a = SeededGenerator.derived(seed: 5, stream: 1), b = SeededGenerator.derived(seed: 5, stream: 1)
        var c = SeededGenerator.derived(seed: 5, stream: 2)
        let va = augmentation.apply(x, side: 32, rng: &a), vb = augmentation.apply(x, side: 32, rng: &b), vc = augmentation.apply(x, side: 32, rng: &c)
        #expect(va == vb)
        #expect(va != vc)
        #expect(va.count == x.count && va.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    /// With every option off but the geometry at scale 1, a view is the image turned: its mean colour stays.
    @Test func aViewKeepsTheImagesColourWhenJitterIsOff() {
        var augmentation = ContrastiveAugmentation()
        augmentation.minimumScale = 1
        augmentation.jitterProbability = 0
        augmentation.stain = 0
        augmentation.blurProbability = 0
        let x = image(side: 32, seed: 2)
        var rng = SeededGenerator(seed: 9)
        let v = augmentation.apply(x, side: 32, rng: &rng)
        let plane = 32 * 32
        for c in 0..<3 {
            let before = x[(c * plane)..<((c + 1) * plane)].reduce(0, +) / Float(plane)
            let after = v[(c * plane)..<((c + 1) * plane)].reduce(0, +) / Float(plane)
            #expect(abs(before - after) < 0.02, "channel \(c): \(before) vs \(after)")
        }
    }

    @Test func stainMatrixInverseIsTheInverse() {
        let m = ContrastiveAugmentation.stainMatrix, inv = ContrastiveAugmentation.stainInverse
        for i in 0..<3 {
            for j in 0..<3 {
                let product = (0..<3).reduce(Float(0)) { $0 + m[i][$1] * inv[$1][j] }
                #expect(abs(product - (i == j ? 1 : 0)) < 1e-4)
            }
        }
    }

    @Test func proportionsGiveEveryTypeAtLeastOneImage() {
        let counts = SyntheticSmears.counts(total: 200, proportions: [0.6, 0.3, 0.06, 0.03, 0.01])
        #expect(counts[.neutrophil] == 120 && counts[.lymphocyte] == 60 && counts[.monocyte] == 12 && counts[.eosinophil] == 6 && counts[.basophil] == 2)
        let tiny = SyntheticSmears.counts(total: 20, proportions: [0.6, 0.3, 0.06, 0.03, 0.01])
        #expect(tiny.values.allSatisfy { $0 >= 1 } && tiny.count == 5)
        #expect(NucleusCrop.locate(in: SyntheticSmears.render(.basophil, seed: 3, index: 0)).found)
    }
}
