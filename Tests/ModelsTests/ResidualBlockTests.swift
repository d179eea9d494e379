import Determinism
import Foundation
import Testing

@testable import Compute
@testable import Models

/// ResNet's own `ResidualBlock` in training mode — with its fused batch norm + ReLU and in-place add + ReLU —
/// against PyTorch: the BasicBlock (stride 2, with a downsample shortcut) that
/// `Scripts/make_compute_fixtures.py` records for the compute core's tests.
@Suite("Residual block matches PyTorch")
struct ResidualBlockTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ComputeTests/Fixtures/ops.safetensors")

    @Test func trainingForwardAndEveryGradient() throws {
        let file = try SafeTensorsFile(contentsOf: Self.fixtures)
        func tensor(_ name: String) throws -> Tensor { Tensor(try file.floatTensor(named: name)) }
        func pytorchName(_ name: String) -> String { name.replacingOccurrences(of: "downsample.", with: "down.") }

        var rng = SeededGenerator(seed: 0)
        let block = ResidualBlock(inChannels: 4, width: 8, stride: 2, bottleneck: false, rng: &rng)
        for (name, p) in block.namedParameters() { try p.assign(tensor("block.init.\(pytorchName(name))")) }
        for (name, t) in block.namedBuffers() { try t.assign(tensor("block.init.\(pytorchName(name))")) }
        #expect(block.bns[0].appliesReLU && !block.bns[1].appliesReLU)

        let y = try block.forward(tensor("block.x"))
        #expect(relativeError(y.toArray(), try tensor("block.y").toArray()) <= 1e-4)
        let gx = try block.backward(tensor("block.gy"))
        #expect(relativeError(gx.toArray(), try tensor("block.gx").toArray()) <= 1e-4)
        var checked = 0
        for (name, p) in block.namedParameters() {
            let g = try #require(p.grad, "no gradient for \(name)")
            let err = relativeError(g.toArray(), try tensor("block.grad.\(pytorchName(name))").toArray())
            #expect(err <= 1e-4, "gradient of \(name): relative error \(err)")
            checked += 1
        }
        #expect(checked == 9)  // 3 convolution weights, 3 × (γ, β)
        #expect(throws: ComputeError.self) { try block.backward(tensor("block.gy")) }  // the forward's state is spent
    }
}
