import Determinism
import Foundation
import Testing

@testable import Compute

@Suite("Bad input gives clear errors")
struct BadInputTests {
    @Test func convolutionChannelMismatchNamesTheOp() throws {
        var rng = SeededGenerator(seed: 0)
        let conv = Conv2d(ConvGeometry(inChannels: 3, outChannels: 4, kernel: 3), rng: &rng)
        let error = #expect(throws: ComputeError.self) { try conv.forward(Tensor.zeros([1, 5, 8, 8])) }
        #expect(error?.message.contains("conv2d") == true)
        #expect(error?.message.contains("5 channels") == true)
    }

    @Test func tooSmallInputIsRefused() throws {
        var rng = SeededGenerator(seed: 0)
        let conv = Conv2d(ConvGeometry(inChannels: 1, outChannels: 1, kernel: 7), rng: &rng)
        #expect(throws: ComputeError.self) { try conv.forward(Tensor.zeros([1, 1, 3, 3])) }
    }

    @Test func valueCountMismatch() {
        #expect(throws: ComputeError.self) { try Tensor(shape: [2, 3], values: [1, 2, 3]) }
    }

    @Test func lossRejectsNaN() throws {
        let p = try Tensor(shape: [2], values: [.nan, 1])
        let error = #expect(throws: ComputeError.self) { try Loss.mse(p, Tensor.zeros([2])) }
        #expect(error?.message.contains("mse_loss") == true)
    }

    @Test func lossShapeMismatch() {
        #expect(throws: ComputeError.self) { try Loss.mse(Tensor.zeros([2, 3]), Tensor.zeros([3, 2])) }
    }

    @Test func backwardWithoutForward() throws {
        let relu = ActivationLayer(.relu)
        #expect(throws: ComputeError.self) { try relu.backward(Tensor.zeros([1, 1, 2, 2])) }
    }

    @Test func batchNormOfOneValuePerChannelIsRefused() {
        let bn = BatchNorm2d(2)
        #expect(throws: ComputeError.self) { try bn.forward(Tensor.zeros([1, 2, 1, 1])) }
    }

    @Test func blockedLayoutsFlowAndReorderOnlyAtTheEdges() throws {
        var rng = SeededGenerator(seed: 0)
        let conv = Conv2d(ConvGeometry(inChannels: 32, outChannels: 32, kernel: 3, padding: 1), rng: &rng)
        let x = Tensor.randomNormal([2, 32, 14, 14], using: &rng)
        let y = try conv.forward(x)
        // The primitive chose its own (blocked) layout, and the output keeps it: no reorder after the op. (oneDNN's
        // x86 JIT kernels, which this project targets, block 32 channels; a plain layout here means a reorder.)
        #expect(!y.isPlain, "layout \(y.layoutDescription)")
        // Read at the edge, the values come back in logical NCHW order: a direct sum at sampled outputs.
        let plain = y.plain()
        #expect(plain.isPlain)
        let xv = x.toArray()
        let wv = conv.weight.value.toArray()
        let yv = plain.toArray()
        for sample in 0..<24 {
            let n = sample % 2
            let o = (sample * 7) % 32
            let h = (sample * 5) % 14
            let w = (sample * 11) % 14
            var sum = 0.0
            for i in 0..<32 {
                for kh in 0..<3 {
                    for kw in 0..<3 {
                        let ih = h + kh - 1
                        let iw = w + kw - 1
                        guard ih >= 0, ih < 14, iw >= 0, iw < 14 else { continue }
                        sum += Double(xv[((n * 32 + i) * 14 + ih) * 14 + iw]) * Double(wv[((o * 32 + i) * 3 + kh) * 3 + kw])
                    }
                }
            }
            let got = Double(yv[((n * 32 + o) * 14 + h) * 14 + w])
            #expect(abs(got - sum) <= 1e-4 * max(1, abs(sum)), "y[\(n), \(o), \(h), \(w)]: \(got) vs \(sum)")
        }
    }

    @Test func matmulMatchesNaiveProduct() throws {
        var rng = SeededGenerator(seed: 4)
        let a = Tensor.randomNormal([5, 7], using: &rng)
        let b = Tensor.randomNormal([3, 7], using: &rng)
        let c = try MatrixOps.matmul(a, b, transposeB: true).toArray()
        let av = a.toArray()
        let bv = b.toArray()
        var ref = [Float](repeating: 0, count: 15)
        for i in 0..<5 { for j in 0..<3 { for k in 0..<7 { ref[i * 3 + j] += av[i * 7 + k] * bv[j * 7 + k] } } }
        expectClose(c, ref, tolerance: 1e-5, "matmul")
        #expect(throws: ComputeError.self) { try MatrixOps.matmul(a, a) }
    }
}

@Suite("Functional ops")
struct FunctionalTests {
    @Test func softmaxRowsSumToOneAndMatchTheDefinition() throws {
        let x = try Tensor(shape: [2, 3], values: [1, 2, 3, -1, 0, 1000])
        let s = try Functional.softmax(x).toArray()
        #expect(abs(s[0] + s[1] + s[2] - 1) < 1e-6)
        #expect(abs(s[2] - expf(3) / (expf(1) + expf(2) + expf(3))) < 1e-6)
        #expect(abs(s[5] - 1) < 1e-6 && s[3] == 0)  // stable for large logits
    }

    @Test func concatAndSplitAreInverse() throws {
        var rng = SeededGenerator(seed: 2)
        let a = Tensor.randomNormal([2, 3, 2, 2], using: &rng)
        let b = Tensor.randomNormal([2, 5, 2, 2], using: &rng)
        let c = try Functional.concat([a, b], axis: 1)
        #expect(c.shape == [2, 8, 2, 2])
        let parts = try Functional.split(c, axis: 1, sizes: [3, 5])
        #expect(parts[0].toArray() == a.toArray() && parts[1].toArray() == b.toArray())
        #expect(throws: ComputeError.self) { try Functional.concat([a, Tensor.zeros([3, 3, 2, 2])], axis: 1) }
    }

    @Test func flattenKeepsNCHWOrderFromABlockedLayoutAndRestoresTheShape() throws {
        var rng = SeededGenerator(seed: 3)
        let conv = Conv2d(ConvGeometry(inChannels: 16, outChannels: 32, kernel: 1), rng: &rng)
        let x = try conv.forward(Tensor.randomNormal([2, 16, 3, 5], using: &rng))
        let flatten = Flatten()
        #expect(throws: ComputeError.self) { try flatten.backward(Tensor.zeros([2, 480])) }
        let y = try flatten.forward(x)
        #expect(y.shape == [2, 480])
        #expect(y.toArray() == x.plain().toArray())  // torch.flatten(x, 1) order: c, then h, then w
        let dy = Tensor.randomNormal([2, 480], using: &rng)
        let dx = try flatten.backward(dy)
        #expect(dx.shape == [2, 32, 3, 5] && dx.toArray() == dy.toArray())
        #expect(throws: ComputeError.self) { try flatten.backward(Tensor.zeros([2, 479])) }
    }

    @Test func dropoutIsSeededScaledAndIdentityInEvaluation() throws {
        let x = Tensor.filled([1000], 1)
        let d1 = Dropout(0.25, seed: 7)
        let d2 = Dropout(0.25, seed: 7)
        let y1 = try d1.forward(x).toArray()
        let y2 = try d2.forward(x).toArray()
        #expect(y1 == y2)
        let zeros = y1.filter { $0 == 0 }.count
        #expect(zeros > 180 && zeros < 320)
        #expect(y1.allSatisfy { $0 == 0 || abs($0 - 1 / 0.75) < 1e-6 })
        let g = try d1.backward(Tensor.filled([1000], 1)).toArray()
        #expect(zip(g, y1).allSatisfy { $0 == $1 })
        d1.setTraining(false)
        #expect(try d1.forward(x).toArray() == x.toArray())
    }
}
