import Determinism
import Testing

@testable import Compute

/// A batch run in chunks (ResNet's evaluation mode): chunks view the input's bytes, results land in place.
@Suite("Tensor chunks")
struct TensorChunkTests {
    @Test func itemsShareTheBytes() throws {
        let t = try Tensor(shape: [4, 2, 3], values: (0..<24).map(Float.init))
        let middle = t.items(1..<3)
        #expect(middle.shape == [2, 2, 3])
        #expect(middle.toArray() == (6..<18).map(Float.init))
        middle.withMutableStorage { $0[0] = -1 }
        #expect(t.toArray()[6] == -1)
    }

    /// Chunks of a blocked-layout result (a convolution's) are reordered into a plain output; a last, shorter
    /// chunk is handled; the result equals the whole batch at once.
    @Test func mapChunksStacksBlockedResults() throws {
        var rng = SeededGenerator(seed: 5)
        let x = Tensor.randomNormal([5, 16, 6, 6], using: &rng)
        let w = Tensor.randomNormal([32, 16, 3, 3], using: &rng)
        let g = ConvGeometry(inChannels: 16, outChannels: 32, kernel: 3, padding: 1)
        func conv(_ t: Tensor) throws -> Tensor { try ConvolutionOps.forward(t, weight: w, bias: nil, g, training: true) }
        var sizes: [Int] = []
        let chunked = try x.mapChunks(of: 2) {
            sizes.append($0.shape[0])
            return try conv($0)
        }
        #expect(sizes == [2, 2, 1])
        #expect(chunked.isPlain && chunked.shape == [5, 32, 6, 6])
        #expect(!(try conv(x.items(0..<2))).isPlain, "the test wants a blocked result to reorder")
        expectClose(chunked.toArray(), try conv(x).toArray(), tolerance: 1e-6, "chunked convolution")
    }

    @Test func mapChunksRefusesResultsOfOtherShapes() throws {
        let x = try Tensor(shape: [3, 2], values: [1, 2, 3, 4, 5, 6])
        #expect(throws: ComputeError.self) {
            _ = try x.mapChunks(of: 2) { try Tensor(shape: [$0.shape[0], $0.shape[0]], values: [Float](repeating: 0, count: $0.shape[0] * $0.shape[0])) }
        }
        #expect(throws: ComputeError.self) {
            _ = try x.mapChunks(of: 2) { _ in try Tensor(shape: [1, 2], values: [0, 0]) }
        }
        let doubled = try x.mapChunks(of: 2) { try Tensor(shape: $0.shape, values: $0.toArray().map { 2 * $0 }) }
        #expect(doubled.toArray() == [2, 4, 6, 8, 10, 12])
    }
}
