import Compute

/// The symmetries of a square image that a blood-smear cell has no preference for: the 90° rotations and
/// the mirror images (the dihedral group of order 8). Averaging the encoder's features over several of them
/// makes a cell's feature vector independent of how it happened to lie on the slide.
///
/// View `t` (0..<8) mirrors left-right when `t >= 4`, then rotates by `t % 4` quarter turns. `views` = 1 is the
/// plain image; 2 adds the mirror image; 4 the four rotations; 8 all eight.
public enum DihedralViews {
    /// The view counts a run may ask for.
    public static let allowed = [1, 2, 4, 8]

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

    /// Index tables, one per transform: `table[o]` = source pixel of output pixel `o`.
    static func tables(_ transforms: [Int], side: Int) -> [[Int]] {
        transforms.map { t in (0..<(side * side)).map { o in source(t, o / side, o % side, side) } }
    }

    /// `[N, C, S, S]` → `[V·N, C, S, S]`: view-major stack of the transformed images (gather).
    public static func stack(_ x: [Float], n: Int, channels: Int, side: Int, views: Int) -> [Float] {
        stack(x, n: n, channels: channels, side: side, transforms: transforms(views))
    }

    /// `[N, C, S, S]` → `[T·N, C, S, S]` for the given transforms.
    static func stack(_ x: [Float], n: Int, channels: Int, side: Int, transforms: [Int]) -> [Float] {
        let plane = side * side, count = n * channels
        let maps = tables(transforms, side: side)
        var out = [Float](repeating: 0, count: maps.count * x.count)
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (v, map) in maps.enumerated() {
                    for p in 0..<count {
                        let s = p * plane, d = v * x.count + p * plane
                        for o in 0..<plane { dst[d + o] = src[s + map[o]] }
                    }
                }
            }
        }
        return out
    }

    /// `[V·N, C, S, S]` (maps computed from the views) → `[N, C, S, S]`: each view's map turned back to the
    /// original orientation (scatter), then averaged.
    public static func alignAndAverage(_ y: [Float], n: Int, channels: Int, side: Int, views: Int) -> [Float] {
        let plane = side * side, count = n * channels, per = count * plane
        let maps = tables(transforms(views), side: side)
        var out = [Float](repeating: 0, count: per)
        let scale = 1 / Float(maps.count)
        y.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (v, map) in maps.enumerated() {
                    for p in 0..<count {
                        let s = v * per + p * plane, d = p * plane
                        for o in 0..<plane { dst[d + map[o]] += scale * src[s + o] }
                    }
                }
            }
        }
        return out
    }

    /// The adjoint of `alignAndAverage`: a gradient `[N, C, S, S]` → `[V·N, C, S, S]`.
    public static func alignAndAverageBackward(_ dy: [Float], n: Int, channels: Int, side: Int, views: Int) -> [Float] {
        let plane = side * side, count = n * channels
        let maps = tables(transforms(views), side: side)
        let scale = 1 / Float(maps.count)
        var out = [Float](repeating: 0, count: maps.count * dy.count)
        dy.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (v, map) in maps.enumerated() {
                    for p in 0..<count {
                        let s = p * plane, d = v * dy.count + p * plane
                        for o in 0..<plane { dst[d + o] = scale * src[s + map[o]] }
                    }
                }
            }
        }
        return out
    }
}
