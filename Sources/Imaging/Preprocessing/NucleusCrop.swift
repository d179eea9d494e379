/// Settings for the nucleus-centred crop. All sizes are relative, so they work at any resolution.
public struct NucleusCropOptions: Sendable, Codable, Equatable {
    /// The image is analysed on a copy downscaled to this width (default 96 px).
    public var analysisWidth: Int
    /// Lowest purple-score threshold (score = B − G on 0…255); Otsu's threshold is raised to this
    /// when the image holds no stained nucleus (default 40: red cells and background stay below ~30).
    public var minimumThreshold: Int
    /// Smallest nucleus accepted, as a share of the analysed image's pixels (default 0.004).
    public var minimumArea: Double
    /// Crop side = `sideFactor` × the larger extent of the nucleus (default 2.2).
    public var sideFactor: Double
    /// Smallest crop side as a share of the image's shorter side (default 0.35); the largest is the shorter side.
    public var minimumSideFraction: Double
    /// Fallback centre-crop side as a share of the shorter side when no nucleus is found (default 1: the largest centred square).
    public var fallbackSideFraction: Double
    /// A crop side that does not depend on the nucleus's size, as a share of the image's shorter side, centred on
    /// the nucleus (nil: `sideFactor` × its extent). A fixed field of view keeps the cell's size, one of the cues
    /// that tell lymphocytes from monocytes, in the image.
    public var sideFraction: Double? = nil

    public init(
        analysisWidth: Int = 96, minimumThreshold: Int = 40, minimumArea: Double = 0.004,
        sideFactor: Double = 2.2, minimumSideFraction: Double = 0.35, fallbackSideFraction: Double = 1
    ) {
        self.analysisWidth = analysisWidth
        self.minimumThreshold = minimumThreshold
        self.minimumArea = minimumArea
        self.sideFactor = sideFactor
        self.minimumSideFraction = minimumSideFraction
        self.fallbackSideFraction = fallbackSideFraction
    }
}

/// Where to crop an image around its leukocyte.
public struct NucleusCrop: Sendable, Equatable {
    /// The square crop, inside the image.
    public var rect: CropRect
    /// `true` when a stained nucleus was found; `false` means `rect` is the centre fallback.
    public var found: Bool
    /// Bounding box of the nucleus in image pixels, when found.
    public var nucleus: CropRect?

    /// Locates the leukocyte by its stain and returns a square crop around it.
    ///
    /// The nucleus is the dominant blue-purple region (blue well above green); red cells are pink
    /// (blue ≈ green) and the background is pale. On a downscaled copy: purple score B − G per pixel,
    /// threshold = max(Otsu, `minimumThreshold`), one-pixel dilation (joins the lobes of a segmented
    /// nucleus), largest 4-connected component weighted towards the centre, its bounding box →
    /// square of side `sideFactor` × extent around the box centre, clamped to the image.
    /// Falls back to a centred square when no component is large enough.
    public static func locate(in image: RGBImage, options: NucleusCropOptions = NucleusCropOptions()) -> NucleusCrop {
        image.pixels.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, image.width > 0, image.height > 0 else {
                return NucleusCrop(rect: CropRect(x: 0, y: 0, width: 0, height: 0), found: false, nucleus: nil)
            }
            return locate(in: PixelView(base: base, width: image.width, height: image.height), options: options)
        }
    }

    static func locate(in image: PixelView, options: NucleusCropOptions) -> NucleusCrop {
        let shorter = min(image.width, image.height)
        let aw = max(8, min(options.analysisWidth, image.width))
        let ah = max(8, min(image.height, Int((Double(image.height) * Double(aw) / Double(image.width)).rounded())))
        let small = Resize.rgb8(image, to: ImageSize(width: aw, height: ah), region: nil)
        let n = aw * ah
        var score = [UInt8](repeating: 0, count: n)
        for i in 0..<n {
            let d = Int(small.pixels[3 * i + 2]) - Int(small.pixels[3 * i + 1])
            score[i] = UInt8(max(0, min(255, d)))
        }
        let threshold = max(options.minimumThreshold, otsuThreshold(score))
        var mask = [Bool](repeating: false, count: n)
        for y in 0..<ah {
            for x in 0..<aw where score[y * aw + x] > threshold {
                for dy in -1...1 {
                    for dx in -1...1 {
                        let xx = x + dx
                        let yy = y + dy
                        if xx >= 0, yy >= 0, xx < aw, yy < ah { mask[yy * aw + xx] = true }
                    }
                }
            }
        }
        let best = bestComponent(mask, width: aw, height: ah)
        guard let best, Double(best.area) >= options.minimumArea * Double(n) else {
            return centreFallback(image.size, options: options)
        }
        // Back to full-resolution pixels.
        let sx = Double(image.width) / Double(aw)
        let sy = Double(image.height) / Double(ah)
        let bx0 = Double(best.minX) * sx
        let bx1 = Double(best.maxX + 1) * sx
        let by0 = Double(best.minY) * sy
        let by1 = Double(best.maxY + 1) * sy
        let nucleus = CropRect(x: Int(bx0), y: Int(by0), width: Int((bx1 - bx0).rounded()), height: Int((by1 - by0).rounded()))
            .clamped(to: ImageSize(width: image.width, height: image.height))
        let extent = max(bx1 - bx0, by1 - by0)
        let adaptive = max(options.minimumSideFraction * Double(shorter), options.sideFactor * extent)
        let side = max(1, Int(min(Double(shorter), options.sideFraction.map { $0 * Double(shorter) } ?? adaptive).rounded()))
        let cx = (bx0 + bx1) / 2
        let cy = (by0 + by1) / 2
        let x = max(0, min(image.width - side, Int((cx - Double(side) / 2).rounded())))
        let y = max(0, min(image.height - side, Int((cy - Double(side) / 2).rounded())))
        return NucleusCrop(rect: CropRect(x: x, y: y, width: side, height: side), found: true, nucleus: nucleus)
    }

    /// The centred square used when no nucleus is found.
    public static func centreFallback(_ image: RGBImage, options: NucleusCropOptions = NucleusCropOptions()) -> NucleusCrop {
        centreFallback(ImageSize(width: image.width, height: image.height), options: options)
    }

    /// The centred square for an image of `image` size.
    public static func centreFallback(_ image: ImageSize, options: NucleusCropOptions = NucleusCropOptions()) -> NucleusCrop {
        let shorter = min(image.width, image.height)
        let side = max(1, min(shorter, Int((Double(shorter) * options.fallbackSideFraction).rounded())))
        return NucleusCrop(
            rect: CropRect(x: (image.width - side) / 2, y: (image.height - side) / 2, width: side, height: side),
            found: false, nucleus: nil)
    }

    /// Otsu's threshold on 8-bit values: the level maximising between-class variance.
    static func otsuThreshold(_ values: [UInt8]) -> Int {
        var histogram = [Int](repeating: 0, count: 256)
        for v in values { histogram[Int(v)] += 1 }
        let total = Double(values.count)
        var sumAll = 0.0
        for i in 0..<256 { sumAll += Double(i * histogram[i]) }
        var weightBelow = 0.0
        var sumBelow = 0.0
        var bestVariance = -1.0
        var best = 0
        for t in 0..<256 {
            weightBelow += Double(histogram[t])
            if weightBelow == 0 { continue }
            let weightAbove = total - weightBelow
            if weightAbove == 0 { break }
            sumBelow += Double(t * histogram[t])
            let meanBelow = sumBelow / weightBelow
            let meanAbove = (sumAll - sumBelow) / weightAbove
            let variance = weightBelow * weightAbove * (meanBelow - meanAbove) * (meanBelow - meanAbove)
            if variance > bestVariance {
                bestVariance = variance
                best = t
            }
        }
        return best
    }

    struct Component {
        var area = 0
        var minX = Int.max
        var minY = Int.max
        var maxX = -1
        var maxY = -1
        var sumX = 0
        var sumY = 0
    }

    /// The 4-connected component with the largest area × centre weight (1 at the centre, 0.5 at a corner).
    static func bestComponent(_ mask: [Bool], width: Int, height: Int) -> Component? {
        var visited = [Bool](repeating: false, count: mask.count)
        var stack: [Int] = []
        var best: Component? = nil
        var bestScore = 0.0
        let halfDiagonal = (Double(width * width + height * height)).squareRoot() / 2
        for start in 0..<mask.count where mask[start] && !visited[start] {
            var c = Component()
            visited[start] = true
            stack.append(start)
            while let p = stack.popLast() {
                let x = p % width
                let y = p / width
                c.area += 1
                c.sumX += x
                c.sumY += y
                c.minX = min(c.minX, x)
                c.maxX = max(c.maxX, x)
                c.minY = min(c.minY, y)
                c.maxY = max(c.maxY, y)
                if x > 0, mask[p - 1], !visited[p - 1] {
                    visited[p - 1] = true
                    stack.append(p - 1)
                }
                if x + 1 < width, mask[p + 1], !visited[p + 1] {
                    visited[p + 1] = true
                    stack.append(p + 1)
                }
                if y > 0, mask[p - width], !visited[p - width] {
                    visited[p - width] = true
                    stack.append(p - width)
                }
                if y + 1 < height, mask[p + width], !visited[p + width] {
                    visited[p + width] = true
                    stack.append(p + width)
                }
            }
            let cx = Double(c.sumX) / Double(c.area) - Double(width) / 2
            let cy = Double(c.sumY) / Double(c.area) - Double(height) / 2
            let weight = 1 - 0.5 * (cx * cx + cy * cy).squareRoot() / halfDiagonal
            let score = Double(c.area) * weight
            if score > bestScore {
                bestScore = score
                best = c
            }
        }
        return best
    }
}
