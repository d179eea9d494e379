import Compute

/// The symmetries of a square image that a blood-smear cell has no preference for: the 90° rotations and
/// the mirror images (the dihedral group of order 8). Averaging the encoder's features over a subgroup of them
/// makes a cell's feature vector exactly independent of how it lay on the slide, for the turns in the subgroup:
/// the views of a turned image are the same set of images, in another order.
///
/// View `t` (0..<8) mirrors left-right when `t >= 4`, then rotates by `t % 4` quarter turns. `views` = 1 is the
/// plain image; 2 adds the mirror image; 4 the four quarter turns; 8 all eight.
public enum DihedralViews {
    /// The view counts a run may ask for (each a subgroup, so the average is invariant under it).
    public static let allowed = [1, 2, 4, 8]

    /// Throws unless `views` is one of `allowed` (each a subgroup; other counts would not make the average
    /// invariant).
    public static func validate(_ views: Int) throws {
        guard allowed.contains(views) else { throw ComputeError("views must be 1, 2, 4 or 8, got \(views)") }
    }

    /// The transforms used for `views` views.
    public static func transforms(_ views: Int) -> [Int] {
        switch views {
        case 2: return [0, 4]
        case 4: return [0, 1, 2, 3]
        case 8: return Array(0..<8)
        default: return [0]
        }
    }

    /// Where output pixel (y, x) of view `t` comes from, on a `side`×`side` grid.
    @inline(__always)
    static func source(_ t: Int, _ y: Int, _ x: Int, _ side: Int) -> Int {
        var (sy, sx) = (y, x)
        for _ in 0..<(t % 4) { (sy, sx) = (sx, side - 1 - sy) }
        if t >= 4 { sx = side - 1 - sx }
        return sy * side + sx
    }

    /// `[N, C, S, S]` → `[V·N, C, S, S]`: view-major stack of the transformed images.
    public static func stack(_ x: [Float], n: Int, channels: Int, side: Int, views: Int) -> [Float] {
        stack(x, n: n, channels: channels, side: side, transforms: transforms(views))
    }

    /// A batch tensor `[N, C, S, S]` → its views `[V·N, C, S, S]` (the tensor itself for one view).
    public static func stack(_ x: Tensor, views: Int) throws -> Tensor {
        try validate(views)
        guard views > 1 else { return x }
        guard x.shape.count == 4, x.shape[2] == x.shape[3] else { throw ComputeError("views need square images [N, C, S, S], got \(x.shape)") }
        return try Tensor(
            shape: [views * x.shape[0]] + x.shape.dropFirst(),
            values: stack(x.toArray(), n: x.shape[0], channels: x.shape[1], side: x.shape[2], views: views))
    }

    /// `[N, C, S, S]` → `[T·N, C, S, S]` for the given transforms.
    static func stack(_ x: [Float], n: Int, channels: Int, side: Int, transforms: [Int]) -> [Float] {
        let plane = side * side
        let count = n * channels
        let maps = transforms.map { t in (0..<plane).map { o in source(t, o / side, o % side, side) } }
        var out = [Float](repeating: 0, count: maps.count * x.count)
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (v, map) in maps.enumerated() {
                    for p in 0..<count {
                        let s = p * plane
                        let d = v * x.count + p * plane
                        for o in 0..<plane { dst[d + o] = src[s + map[o]] }
                    }
                }
            }
        }
        return out
    }

    /// `[V·N, D]` (features of the stacked views) → `[N, D]`: each image's mean over its views.
    public static func average(_ y: [Float], views: Int) -> [Float] {
        let per = y.count / views
        let scale = 1 / Float(views)
        var out = [Float](repeating: 0, count: per)
        y.withUnsafeBufferPointer { src in
            for v in 0..<views { for i in 0..<per { out[i] += scale * src[v * per + i] } }
        }
        return out
    }

    /// The adjoint of `average`: a gradient `[N, D]` → `[V·N, D]`, each view getting 1/V of it.
    public static func averageBackward(_ dy: [Float], views: Int) -> [Float] {
        let scale = 1 / Float(views)
        let one = dy.map { scale * $0 }
        return Array([[Float]](repeating: one, count: views).joined())
    }
}
