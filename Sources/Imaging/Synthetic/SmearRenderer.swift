import Determinism
import Foundation

/// Draws one synthetic smear field. All sizes scale with the image's shorter side.
struct SmearRenderer {
    let type: CellType
    let options: SyntheticSmears.Options
    let width: Int
    let height: Int
    /// Red-cell radius in pixels (≈ 22 px at 240 px, as in the Kaggle fields).
    let rbcRadius: Double
    /// Per-image stain tint (multiplies R, G, B).
    let tint: (Float, Float, Float)

    init(type: CellType, options: SyntheticSmears.Options, rng r: inout SeededGenerator) {
        self.type = type
        self.options = options
        width = max(16, options.size.width)
        height = max(16, options.size.height)
        rbcRadius = Double(min(width, height)) * (0.085 + 0.015 * Double(r.nextUniform()))
        tint = (1 + 0.04 * (r.nextUniform() * 2 - 1), 1 + 0.04 * (r.nextUniform() * 2 - 1), 1 + 0.04 * (r.nextUniform() * 2 - 1))
    }

    func tinted(_ c: (Float, Float, Float)) -> (Float, Float, Float) { (c.0 * tint.0, c.1 * tint.1, c.2 * tint.2) }

    func render(_ rng: inout SeededGenerator) -> RGBImage {
        var canvas = SmearCanvas(width: width, height: height)
        let bg = tinted((232 + 8 * rng.nextUniform(), 222 + 8 * rng.nextUniform(), 214 + 8 * rng.nextUniform()))
        let gradient = 10 * (rng.nextUniform() - 0.5)
        for y in 0..<height {
            let g = gradient * (Float(y) / Float(height) - 0.5)
            for x in 0..<width {
                let i = (y * width + x) * 3
                canvas.rgb[i] = bg.0 + g
                canvas.rgb[i + 1] = bg.1 + g
                canvas.rgb[i + 2] = bg.2 + g
            }
        }
        // Leukocyte placement first, so red cells can avoid overlapping it too much.
        let cellRadius = rbcRadius * leukocyteScale(&rng)
        let cx = Double(width) * (0.5 + 0.3 * Double(rng.nextUniform() - 0.5))
        let cy = Double(height) * (0.5 + 0.3 * Double(rng.nextUniform() - 0.5))
        let angle = Double(rng.nextUniform()) * 2 * Double.pi

        let redCells = 9 + rng.nextInt(below: 8)
        for _ in 0..<redCells {
            var x = Double(rng.nextUniform()) * Double(width)
            var y = Double(rng.nextUniform()) * Double(height)
            let dx = x - cx
            let dy = y - cy
            let d = (dx * dx + dy * dy).squareRoot()
            if d < cellRadius + rbcRadius * 0.6 {  // push out of the leukocyte
                let push = (cellRadius + rbcRadius * 0.6) / max(d, 1e-3)
                x = cx + dx * push
                y = cy + dy * push
            }
            drawRedCell(&canvas, x, y, &rng)
        }
        drawLeukocyte(&canvas, cx, cy, cellRadius, angle, &rng)

        if options.noise > 0 {
            for i in canvas.rgb.indices { canvas.rgb[i] += options.noise * rng.nextGaussian() }
        }
        return canvas.image()
    }

    func leukocyteScale(_ rng: inout SeededGenerator) -> Double {
        let u = Double(rng.nextUniform())
        switch type {
        case .lymphocyte: return 1.0 + 0.2 * u
        case .monocyte: return 1.65 + 0.25 * u
        case .neutrophil: return 1.35 + 0.2 * u
        case .eosinophil: return 1.35 + 0.2 * u
        case .basophil: return 1.15 + 0.2 * u
        }
    }

    func drawRedCell(_ canvas: inout SmearCanvas, _ x: Double, _ y: Double, _ rng: inout SeededGenerator) {
        let r = rbcRadius * (0.85 + 0.3 * Double(rng.nextUniform()))
        let squash = 0.85 + 0.15 * Double(rng.nextUniform())
        let theta = Double(rng.nextUniform()) * Double.pi
        let edge = tinted((208 + 10 * rng.nextUniform(), 140 + 12 * rng.nextUniform(), 150 + 12 * rng.nextUniform()))
        let pale = (edge.0 + 14, edge.1 + 38, edge.2 + 32)  // the lighter biconcave centre
        let c = cos(theta)
        let s = sin(theta)
        canvas.fill(
            centre: (x, y), radius: r, edge: 1.5,
            sdf: { px, py in
                let lx = (px - x) * c + (py - y) * s
                let ly = -(px - x) * s + (py - y) * c
                return SDF.ellipse(lx, ly, r, r * squash)
            },
            colour: { px, py in
                let dx = (Double(px) - x) / r
                let dy = (Double(py) - y) / r
                let t = Float(max(0, 1 - (dx * dx + dy * dy).squareRoot() / 0.55))
                return (edge.0 + t * (pale.0 - edge.0), edge.1 + t * (pale.1 - edge.1), edge.2 + t * (pale.2 - edge.2))
            })
    }

    func drawLeukocyte(
        _ canvas: inout SmearCanvas, _ cx: Double, _ cy: Double, _ radius: Double, _ angle: Double,
        _ rng: inout SeededGenerator
    ) {
        let c = cos(angle)
        let s = sin(angle)
        func local(_ px: Double, _ py: Double) -> (Double, Double) {
            ((px - cx) * c + (py - cy) * s, -(px - cx) * s + (py - cy) * c)
        }
        let wobble = 0.92 + 0.08 * Double(rng.nextUniform())
        // Cytoplasm.
        let cytoplasm: (Float, Float, Float)
        switch type {
        case .lymphocyte: cytoplasm = tinted((135, 170, 235))
        case .monocyte: cytoplasm = tinted((175, 172, 210))
        case .neutrophil: cytoplasm = tinted((228, 205, 215))
        case .eosinophil: cytoplasm = tinted((235, 150, 120))
        case .basophil: cytoplasm = tinted((200, 172, 215))
        }
        canvas.fill(
            centre: (cx, cy), radius: radius, edge: 1.5,
            sdf: { px, py in
                let (lx, ly) = local(px, py)
                return SDF.ellipse(lx, ly, radius, radius * wobble)
            }, colour: { _, _ in cytoplasm })
        if type == .eosinophil { drawGranules(&canvas, cx, cy, radius * wobble, &rng) }
        if type == .neutrophil { drawGranules(&canvas, cx, cy, radius * wobble, &rng, colour: tinted((215, 180, 200)), count: 60) }

        // Nucleus.
        let nucleusColour: (Float, Float, Float)
        let sdf: (Double, Double) -> Double
        switch type {
        case .lymphocyte:
            nucleusColour = tinted((58 + 14 * rng.nextUniform(), 36 + 10 * rng.nextUniform(), 140 + 16 * rng.nextUniform()))
            let a = radius * (0.76 + 0.06 * Double(rng.nextUniform()))
            let b = a * (0.9 + 0.1 * Double(rng.nextUniform()))
            let ox = radius * 0.08 * Double(rng.nextUniform() - 0.5)
            sdf = { px, py in
                let (x, y) = local(px, py)
                return SDF.ellipse(x - ox, y, a, b)
            }
        case .monocyte:
            nucleusColour = tinted((135 + 15 * rng.nextUniform(), 95 + 15 * rng.nextUniform(), 190 + 15 * rng.nextUniform()))
            let a = radius * (0.62 + 0.08 * Double(rng.nextUniform()))
            let b = a * (0.72 + 0.1 * Double(rng.nextUniform()))
            let notch = a * (0.45 + 0.15 * Double(rng.nextUniform()))
            let notchAt = b * (1.0 + 0.15 * Double(rng.nextUniform()))
            sdf = { px, py in
                let (x, y) = local(px, py)
                return max(SDF.ellipse(x, y + b * 0.15, a, b), -SDF.disc(x, y - notchAt, notch))
            }
        case .neutrophil, .eosinophil, .basophil:
            nucleusColour = tinted((118 + 14 * rng.nextUniform(), 58 + 12 * rng.nextUniform(), 168 + 14 * rng.nextUniform()))
            let lobes: Int
            if type == .neutrophil { lobes = 2 + rng.nextInt(below: 4) } else { lobes = rng.nextUniform() < 0.85 ? 2 : 3 }
            let lobeRadius = radius * (type == .neutrophil ? 0.26 : 0.3) * (0.9 + 0.2 * Double(rng.nextUniform()))
            let arc = radius * (type == .neutrophil ? 0.48 : 0.38)
            let spread = type == .neutrophil ? 1.9 + 0.8 * Double(rng.nextUniform()) : 1.6 + 0.5 * Double(rng.nextUniform())
            var centres: [(Double, Double)] = []
            for k in 0..<lobes {
                let t = lobes == 1 ? 0 : (Double(k) / Double(lobes - 1) - 0.5) * spread
                let jitter = 1 + 0.15 * Double(rng.nextUniform() - 0.5)
                centres.append((arc * sin(t) * jitter, arc * (0.4 - cos(t)) * jitter))
            }
            let strand = lobeRadius * 0.3
            sdf = { px, py in
                let (x, y) = local(px, py)
                var d = Double.infinity
                for (i, p) in centres.enumerated() {
                    d = min(d, SDF.disc(x - p.0, y - p.1, lobeRadius))
                    if i > 0 { d = min(d, SDF.capsule(x, y, centres[i - 1].0, centres[i - 1].1, p.0, p.1, strand)) }
                }
                return d
            }
        }
        // Chromatin texture: darker where a cheap hash-noise field is high.
        let seedX = Double(rng.nextUniform()) * 100
        let seedY = Double(rng.nextUniform()) * 100
        let texture: Float = type == .monocyte ? 18 : 12
        canvas.fill(
            centre: (cx, cy), radius: radius, edge: 1.3, sdf: sdf,
            colour: { px, py in
                let v = Float(
                    sin(Double(px) * 0.31 + seedX) * sin(Double(py) * 0.27 + seedY)
                        + 0.5 * sin(Double(px - 2 * py) * 0.23 + seedX * 0.3))
                return (nucleusColour.0 - texture * v, nucleusColour.1 - texture * v, nucleusColour.2 - texture * 0.6 * v)
            })
        // Basophils: dark purple granules that cover the nucleus.
        if type == .basophil { drawGranules(&canvas, cx, cy, radius * wobble, &rng, colour: tinted((62, 28, 96)), count: 110) }
    }

    func drawGranules(
        _ canvas: inout SmearCanvas, _ cx: Double, _ cy: Double, _ radius: Double, _ rng: inout SeededGenerator,
        colour: (Float, Float, Float)? = nil, count: Int = 140
    ) {
        let granule = colour ?? tinted((225, 95, 60))
        let size = radius * 0.055
        for _ in 0..<count {
            let t = Double(rng.nextUniform()) * 2 * Double.pi
            let r = radius * 0.92 * Double(rng.nextUniform()).squareRoot()
            let gx = cx + r * cos(t)
            let gy = cy + r * sin(t)
            canvas.fill(
                centre: (gx, gy), radius: size, edge: 1, opacity: 0.8,
                sdf: { px, py in
                    SDF.disc(px - gx, py - gy, size)
                }, colour: { _, _ in granule })
        }
    }
}
