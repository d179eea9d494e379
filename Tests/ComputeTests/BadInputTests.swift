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
        let y = try conv.forward(Tensor.randomNormal([2, 32, 14, 14], using: &rng))
        // The primitive chose its own layout; the values read back in logical NCHW order regardless.
        let plain = y.plain()
        #expect(plain.isPlain)
        #expect(plain.toArray() == y.toArray())
    }

    @Test func matmulMatchesNaiveProduct() throws {
        var rng = SeededGenerator(seed: 4)
        let a = Tensor.randomNormal([5, 7], using: &rng), b = Tensor.randomNormal([3, 7], using: &rng)
        let c = try MatrixOps.matmul(a, b, transposeB: true).toArray()
        let av = a.toArray(), bv = b.toArray()
        var ref = [Float](repeating: 0, count: 15)
        for i in 0..<5 { for j in 0..<3 { for k in 0..<7 { ref[i * 3 + j] += av[i * 7 + k] * bv[j * 7 + k] } } }
        expectClose(c, ref, tolerance: 1e-5, "matmul")
        #expect(throws: ComputeError.self) { try MatrixOps.matmul(a, a) }
    }
}
