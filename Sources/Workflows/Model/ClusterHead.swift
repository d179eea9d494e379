import Compute

/// The part of a clustering model that turns features into cluster probabilities. Each clustering method
/// trains one (`ClusteringMethod`); the model saves it in its checkpoint and prediction only asks it for
/// probabilities. A new kind of head is one new file and its entry in `ClusterHeads.all`.
public protocol ClusterHead: AnyObject, Sendable {
    /// The name written into checkpoints (`wbc.head`).
    static var kind: String { get }
    /// Number of clusters.
    var k: Int { get }
    /// Feature width it takes.
    var dimension: Int { get }
    /// What the clustering stage trains.
    var parameters: [Parameter] { get }
    /// Soft assignments `[n, k]` (rows sum to 1) of features `[n, dimension]`.
    func probabilities(_ features: [Float], n: Int) throws -> [Float]
    /// Adds the head's tensors (prefix `dec.`) and metadata to a checkpoint.
    func store(in checkpoint: inout Checkpoint)
    /// Reads a head written by `store`; `file` names it in messages.
    static func load(from checkpoint: Checkpoint, file: String) throws -> Self
    /// A digest of the head's values: it changes whenever the model is clustered again.
    var identity: String { get }
}

/// Every kind of head a checkpoint can hold.
enum ClusterHeads {
    static let all: [any ClusterHead.Type] = [StudentTHead.self, LinearHead.self]

    /// The head a checkpoint holds (checkpoints without `wbc.head` hold a `StudentTHead`).
    static func load(from c: Checkpoint, file: String) throws -> any ClusterHead {
        let kind = c.metadata["wbc.head"] ?? StudentTHead.kind
        guard let type = all.first(where: { $0.kind == kind }) else {
            throw WorkflowError("\(file) holds a cluster head of kind '\(kind)', which this wbc does not know")
        }
        return try type.load(from: c, file: file)
    }
}
