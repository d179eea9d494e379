import Compute

/// How the encoder's output becomes the feature vector that k-means and DEC see.
public enum FeatureMode: String, Sendable, Codable, CaseIterable {
    /// Global average pool of the trunk: `[N, C]` (2048 for ResNet-50).
    case pooled
    /// The whole trunk map flattened: `[N, C·h·w]` (100,352 at 224² for ResNet-50), as the reference does.
    case flat
}

/// The one way images become features: the backbone's trunk, pooled or flattened (`FeatureMode`), averaged
/// over dihedral views (`DihedralViews`). Clustering, evaluation, prediction and embedding all use it, in
/// evaluation mode; DEC also trains through it (`backward`).
///
/// With `views` > 1 the batch is run once as `views`·N images and each image's features are the mean of its
/// views' features, which does not depend on how the cell was turned.
public final class FeatureExtractor: @unchecked Sendable {
    public let backbone: any Backbone
    public let mode: FeatureMode
    /// Dihedral views the features are averaged over (1 = none).
    public let views: Int
    /// Whether each feature vector is scaled to unit length (after the views' average), so that clustering
    /// compares directions, as contrastive training shapes them.
    public let unitLength: Bool
    private let gap = GlobalAveragePool()
    /// What the last `features` call computed, for `backward`.
    private var pass: (n: Int, map: [Int], raw: [Float]?)?

    public init(backbone: any Backbone, mode: FeatureMode, views: Int = 1, unitLength: Bool = false) {
        self.backbone = backbone
        self.mode = mode
        self.views = views
        self.unitLength = unitLength
    }

    /// Feature width for `channels` trunk channels on a `trunkSide`² map.
    public static func dimension(_ mode: FeatureMode, channels: Int, trunkSide: Int) -> Int {
        mode == .pooled ? channels : channels * trunkSide * trunkSide
    }

    /// Feature width for `imageSize`-pixel images.
    public func dimension(imageSize: Int) -> Int {
        let a = backbone.architecture
        return Self.dimension(mode, channels: a.featureChannels, trunkSide: a.trunkSide(imageSize: imageSize))
    }

    /// Features `[N, D]` of images `[N, 3, S, S]`, in the backbone's current mode (training mode keeps what
    /// `backward` needs).
    public func features(_ x: Tensor) throws -> Tensor {
        let n = x.shape[0]
        let map = try backbone.trunk(DihedralViews.stack(x, views: views))
        let all: Tensor
        switch mode {
        case .pooled:
            all = try gap.forward(map)
        case .flat:
            all = try map.plain().reshaped([map.shape[0], map.count / map.shape[0]])
        }
        pass = (n, map.shape, nil)
        let averaged = views > 1 ? try Tensor(shape: [n, all.shape[1]], values: DihedralViews.average(all.toArray(), views: views)) : all
        guard unitLength else { return averaged }
        let raw = averaged.toArray()
        pass?.raw = raw
        return try Tensor(shape: averaged.shape, values: ContrastiveLosses.l2Normalize(raw, rows: n, columns: averaged.shape[1]))
    }

    /// Backpropagates a gradient of the last `features` output into the backbone's parameters.
    public func backward(_ dFeatures: Tensor) throws {
        guard let pass, dFeatures.shape.first == pass.n else {
            throw ComputeError("FeatureExtractor.backward(\(dFeatures.shape)) does not follow a features() call with that batch")
        }
        var d = dFeatures
        if unitLength, let raw = pass.raw {
            let g = ContrastiveLosses.l2NormalizeBackward(raw, gradient: d.toArray(), rows: pass.n, columns: d.shape[1])
            d = try Tensor(shape: d.shape, values: g)
        }
        if views > 1 {
            d = try Tensor(shape: [views * pass.n, dFeatures.shape[1]], values: DihedralViews.averageBackward(dFeatures.toArray(), views: views))
        }
        switch mode {
        case .pooled:
            try backbone.backwardTrunkParameters(gap.backward(d))
        case .flat:
            try backbone.backwardTrunkParameters(d.reshaped(pass.map))
        }
    }
}
