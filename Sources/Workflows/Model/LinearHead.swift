import Compute
import Determinism

/// A linear layer to k logits and a softmax: the cluster head SCAN trains (Van Gansbeke et al. 2020).
public final class LinearHead: ClusterHead, @unchecked Sendable {
    public static let kind = "linear"
    public let layer: Linear

    public init(dimension: Int, k: Int, seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        layer = Linear(dimension, k, rng: &rng)
        layer.weight.label = "dec.head.weight"
        layer.bias?.label = "dec.head.bias"
    }

    init(layer: Linear) { self.layer = layer }

    public var k: Int { layer.outFeatures }
    public var dimension: Int { layer.inFeatures }
    public var parameters: [Parameter] { layer.parameters }

    /// Logits `[n, k]` of features `[n, dimension]`.
    public func logits(_ features: [Float], n: Int) throws -> [Float] {
        try layer.forward(Tensor(shape: [n, dimension], values: features)).toArray()
    }

    public func probabilities(_ features: [Float], n: Int) throws -> [Float] {
        let z = try logits(features, n: n)
        return ContrastiveLosses.softmaxRows(z, n, k).map { Float($0) }
    }

    public func store(in c: inout Checkpoint) {
        c.state.floats["dec.head.weight"] = layer.weight.value.toHost()
        if let b = layer.bias { c.state.floats["dec.head.bias"] = b.value.toHost() }
        c.metadata["wbc.head"] = Self.kind
    }

    public static func load(from c: Checkpoint, file: String) throws -> LinearHead {
        guard let w = c.state.floats["dec.head.weight"], w.shape.count == 2, let b = c.state.floats["dec.head.bias"], b.shape == [w.shape[0]] else {
            throw WorkflowError("\(file) holds no linear cluster head (dec.head.weight [k, d] and dec.head.bias [k])")
        }
        var rng = SeededGenerator(seed: 0)
        let layer = Linear(w.shape[1], w.shape[0], rng: &rng)
        try layer.weight.assign(Tensor(w))
        try layer.bias?.assign(Tensor(b))
        return LinearHead(layer: layer)
    }

    public var identity: String {
        var hash = FNV1a()
        for p in parameters { for x in p.value.toArray() { hash.mix(UInt64(x.bitPattern)) } }
        return hash.hex
    }
}
