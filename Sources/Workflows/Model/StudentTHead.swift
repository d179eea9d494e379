import Clustering
import Compute
import Determinism

/// Cluster centres with DEC's soft assignment: Student's t kernel q_ij ∝ (1 + ‖z_i − μ_j‖²/α)^(−(α+1)/2)
/// (Xie, Girshick & Farhadi 2016). k-means gives its centres; DEC trains them with the encoder.
public final class StudentTHead: ClusterHead, @unchecked Sendable {
    public static let kind = "student-t"
    /// `[k, dimension]`.
    public let centres: Parameter
    /// Degrees of freedom of the kernel.
    public let alpha: Float

    public init(centres: Tensor, alpha: Float) {
        self.centres = Parameter(centres)
        self.alpha = alpha
        self.centres.label = "dec.centres"  // its name in dec.safetensors, for messages
    }

    public var k: Int { centres.shape[0] }
    public var dimension: Int { centres.shape[1] }
    public var parameters: [Parameter] { [centres] }

    public func probabilities(_ features: [Float], n: Int) throws -> [Float] {
        try DECObjective.softAssignment(embeddings: features, centres: centres.value.toArray(), n: n, k: k, d: dimension, alpha: alpha)
    }

    public func store(in c: inout Checkpoint) {
        c.state.floats["dec.centres"] = centres.value.toHost()
        c.metadata["wbc.head"] = Self.kind
        c.metadata["wbc.alpha"] = String(alpha)
    }

    public static func load(from c: Checkpoint, file: String) throws -> StudentTHead {
        guard let centres = c.state.floats["dec.centres"], centres.shape.count == 2 else {
            throw WorkflowError("\(file) holds no cluster centres (dec.centres)")
        }
        return StudentTHead(centres: Tensor(centres), alpha: Float(c.metadata["wbc.alpha"] ?? "1") ?? 1)
    }

    public var identity: String {
        var hash = FNV1a()
        for x in centres.value.toArray() { hash.mix(UInt64(x.bitPattern)) }
        return hash.hex
    }
}
