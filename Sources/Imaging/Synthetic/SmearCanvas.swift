import Foundation

/// A float RGB canvas (0…255) with antialiased shape filling by signed distance. Internal to the
/// synthetic-smear renderer.
struct SmearCanvas {
    let width: Int
    let height: Int
    var rgb: [Float]

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        rgb = [Float](repeating: 0, count: width * height * 3)
    }

    /// Blends `colour(x, y)` over the canvas with coverage `clamp(0.5 − sdf / edge, 0, 1) × opacity`,
    /// for pixels within `radius` of `centre` (the bounding box of the shape).
    mutating func fill(
        centre: (Double, Double), radius: Double, edge: Double = 1.2, opacity: Float = 1,
        sdf: (Double, Double) -> Double, colour: (Int, Int) -> (Float, Float, Float)
    ) {
        let x0 = max(0, Int(centre.0 - radius - 2))
        let x1 = min(width - 1, Int(centre.0 + radius + 2))
        let y0 = max(0, Int(centre.1 - radius - 2))
        let y1 = min(height - 1, Int(centre.1 + radius + 2))
        guard x0 <= x1, y0 <= y1 else { return }
        for y in y0...y1 {
            for x in x0...x1 {
                let d = sdf(Double(x) + 0.5, Double(y) + 0.5)
                let coverage = Float(min(1, max(0, 0.5 - d / edge))) * opacity
                if coverage <= 0 { continue }
                let c = colour(x, y)
                let i = (y * width + x) * 3
                rgb[i] += coverage * (c.0 - rgb[i])
                rgb[i + 1] += coverage * (c.1 - rgb[i + 1])
                rgb[i + 2] += coverage * (c.2 - rgb[i + 2])
            }
        }
    }

    /// Rounds to RGB8.
    func image() -> RGBImage {
        RGBImage(width: width, height: height, pixels: rgb.map { UInt8(max(0, min(255, $0.rounded()))) })
    }
}

/// Signed distances (negative inside) in a local frame centred at the origin.
enum SDF {
    static func disc(_ x: Double, _ y: Double, _ r: Double) -> Double { (x * x + y * y).squareRoot() - r }

    /// Approximate distance to an ellipse with half-axes a (x) and b (y).
    static func ellipse(_ x: Double, _ y: Double, _ a: Double, _ b: Double) -> Double {
        let k = ((x / a) * (x / a) + (y / b) * (y / b)).squareRoot()
        return (k - 1) * min(a, b)
    }

    /// Distance to the segment (ax, ay)–(bx, by) minus `r` (a capsule).
    static func capsule(_ x: Double, _ y: Double, _ ax: Double, _ ay: Double, _ bx: Double, _ by: Double, _ r: Double) -> Double {
        let px = x - ax
        let py = y - ay
        let dx = bx - ax
        let dy = by - ay
        let t = max(0, min(1, (px * dx + py * dy) / max(1e-9, dx * dx + dy * dy)))
        let ex = px - t * dx
        let ey = py - t * dy
        return (ex * ex + ey * ey).squareRoot() - r
    }
}
