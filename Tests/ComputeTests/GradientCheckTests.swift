import Parallelism
import Testing

@testable import Compute

@Suite("Gradient check")
struct GradientCheckTests {
    /// The optimizers' gradient check finds the first non-finite value in slice order.
    @Test func firstNonFiniteScansEverySlice() {
        let count = 4 * ParallelFor.grain
        var values = [Float](repeating: 1.5, count: count)
        values.withUnsafeBufferPointer { #expect(firstNonFiniteValue($0) == nil) }
        values[count - 1] = .nan
        values.withUnsafeBufferPointer { #expect(firstNonFiniteValue($0)?.isNaN == true) }
        values[10] = -.infinity
        values.withUnsafeBufferPointer { #expect(firstNonFiniteValue($0) == -.infinity) }
        values[10] = .greatestFiniteMagnitude  // finite, with the largest exponent below the non-finite one
        values[count - 1] = 0
        values.withUnsafeBufferPointer { #expect(firstNonFiniteValue($0) == nil) }
    }
}
