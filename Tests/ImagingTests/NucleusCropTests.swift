import Foundation
import Testing

@testable import Imaging

/// Kaggle "blood-cells" TRAIN folder; tests that use it are skipped when it is absent.
let kaggleTrain = URL(fileURLWithPath: "/work/shared/data/blood-cells/dataset2-master/images/TRAIN")
let kaggleAvailable = FileManager.default.fileExists(atPath: kaggleTrain.path)

@Suite struct NucleusCropTests {
    /// Pale background, a few pink discs, one purple disc at (cx, cy) of radius r.
    func smear(nucleusAt centre: (Int, Int)?, radius r: Int = 14) -> RGBImage {
        var img = RGBImage(width: 160, height: 120, fill: (225, 215, 210))
        func disc(_ cx: Int, _ cy: Int, _ rr: Int, _ colour: (UInt8, UInt8, UInt8)) {
            for y in max(0, cy - rr)..<min(120, cy + rr) {
                for x in max(0, cx - rr)..<min(160, cx + rr) where (x - cx) * (x - cx) + (y - cy) * (y - cy) < rr * rr {
                    img[x, y] = colour
                }
            }
        }
        for (x, y) in [(20, 20), (130, 30), (40, 100), (140, 100), (80, 15)] { disc(x, y, 12, (215, 150, 160)) }
        if let c = centre { disc(c.0, c.1, r, (110, 70, 180)) }
        return img
    }

    @Test func findsThePurpleNucleusOffCentre() {
        let crop = NucleusCrop.locate(in: smear(nucleusAt: (110, 70)))
        #expect(crop.found)
        let n = try? #require(crop.nucleus)
        if let n {
            #expect(abs(n.x + n.width / 2 - 110) <= 4 && abs(n.y + n.height / 2 - 70) <= 4)
        }
        #expect(crop.rect.width == crop.rect.height)
        #expect(crop.rect.x <= 110 - 14 && crop.rect.x + crop.rect.width >= 110 + 14)
        #expect(crop.rect.y <= 70 - 14 && crop.rect.y + crop.rect.height >= 70 + 14)
        #expect(crop.rect.x >= 0 && crop.rect.y >= 0 && crop.rect.x + crop.rect.width <= 160 && crop.rect.y + crop.rect.height <= 120)
    }

    /// A fixed side: the same field of view for a small and a large nucleus, centred on each.
    @Test func fixedSideDoesNotDependOnTheNucleusSize() {
        var options = NucleusCropOptions()
        options.sideFraction = 0.5
        for radius in [8, 20] {
            let crop = NucleusCrop.locate(in: smear(nucleusAt: (80, 60), radius: radius), options: options)
            #expect(crop.found)
            #expect(crop.rect.width == 60 && crop.rect.height == 60, "radius \(radius): \(crop.rect)")
            #expect(abs(crop.rect.x + 30 - 80) <= 3 && abs(crop.rect.y + 30 - 60) <= 3, "radius \(radius): \(crop.rect)")
        }
        // Without it, the side follows the nucleus.
        let small = NucleusCrop.locate(in: smear(nucleusAt: (80, 60), radius: 8)).rect.width
        let large = NucleusCrop.locate(in: smear(nucleusAt: (80, 60), radius: 20)).rect.width
        #expect(large > small)
    }

    @Test func fallsBackToCentreWithoutNucleus() {
        let crop = NucleusCrop.locate(in: smear(nucleusAt: nil))
        #expect(!crop.found)
        #expect(crop.nucleus == nil)
        #expect(crop.rect == CropRect(x: 20, y: 0, width: 120, height: 120))
    }

    @Test func cropNearTheBorderStaysInside() {
        let crop = NucleusCrop.locate(in: smear(nucleusAt: (150, 110), radius: 10))
        #expect(crop.found)
        #expect(crop.rect.x + crop.rect.width <= 160 && crop.rect.y + crop.rect.height <= 120)
        #expect(crop.rect.x + crop.rect.width == 160)
    }

    @Test func otsuSplitsTwoModes() {
        let values = [UInt8](repeating: 10, count: 100) + [UInt8](repeating: 200, count: 50)
        let t = NucleusCrop.otsuThreshold(values)
        #expect(t >= 10 && t < 200)
    }

    /// Share of Kaggle TRAIN images (25 per class; the full 50-per-class figure is in the report) in which a nucleus is found. Set WBC_DUMP_CROPS=DIR
    /// to also write each crop as PNG for a visual check (WBC_CROP_FOLDER, WBC_CROP_LIMIT pick other images).
    @Test(.enabled(if: kaggleAvailable)) func kaggleShareFound() throws {
        let dump = ProcessInfo.processInfo.environment["WBC_DUMP_CROPS"].map { URL(fileURLWithPath: $0) }
        var found = 0
        var total = 0
        for cls in ["EOSINOPHIL", "LYMPHOCYTE", "MONOCYTE", "NEUTROPHIL"] {
            let root = ProcessInfo.processInfo.environment["WBC_CROP_FOLDER"].map { URL(fileURLWithPath: $0) } ?? kaggleTrain
            let folder = root.appendingPathComponent(cls)
            let limit = Int(ProcessInfo.processInfo.environment["WBC_CROP_LIMIT"] ?? "") ?? 25
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().prefix(limit)
            for name in files {
                let image = try ImageDecoding.decode(contentsOf: folder.appendingPathComponent(name))
                let crop = NucleusCrop.locate(in: image)
                total += 1
                if crop.found { found += 1 }
                if let dump {
                    let out = Resize.rgb8(image, to: ImageSize(side: 96), region: crop.rect)
                    try ImageEncoding.write(out, to: dump.appendingPathComponent("\(cls)-\(crop.found ? "ok" : "MISS")-\(name).png"))
                }
            }
        }
        let share = Double(found) / Double(total)
        print("nucleus found in \(found)/\(total) Kaggle TRAIN images (\(share))")
        #expect(share >= 0.95)
    }
}

/// BCCD originals with Pascal-VOC boxes; skipped when absent.
let bccdFolder = URL(fileURLWithPath: "/work/shared/data/blood-cells/dataset-master")
let bccdAvailable = FileManager.default.fileExists(atPath: bccdFolder.appendingPathComponent("Annotations").path)

@Suite struct NucleusCropAnnotationTests {
    /// WBC boxes `(xmin, ymin, xmax, ymax)` from a Pascal-VOC file.
    func wbcBoxes(_ xml: String) -> [(Int, Int, Int, Int)] {
        xml.components(separatedBy: "<object>").dropFirst().compactMap { object in
            guard object.contains("<name>WBC</name>") else { return nil }
            func value(_ tag: String) -> Int? {
                guard let a = object.range(of: "<\(tag)>"), let b = object.range(of: "</\(tag)>", range: a.upperBound..<object.endIndex) else { return nil }
                return Int(Double(object[a.upperBound..<b.lowerBound].trimmingCharacters(in: .whitespaces)) ?? -1)
            }
            guard let x0 = value("xmin"), let y0 = value("ymin"), let x1 = value("xmax"), let y1 = value("ymax") else { return nil }
            return (x0, y0, x1, y1)
        }
    }

    /// On BCCD originals with exactly one annotated WBC, the crop must contain the box centre.
    /// Every 4th file, to keep the debug-build test short.
    @Test(.enabled(if: bccdAvailable)) func cropContainsAnnotatedLeukocyte() throws {
        let annotations = bccdFolder.appendingPathComponent("Annotations")
        let names = try FileManager.default.contentsOfDirectory(atPath: annotations.path).sorted().enumerated()
            .filter { $0.offset % (ProcessInfo.processInfo.environment["WBC_ALL_BCCD"] == nil ? 4 : 1) == 0 }.map(\.element)
        var hits = 0
        var total = 0
        for name in names {
            let boxes = wbcBoxes(try String(contentsOf: annotations.appendingPathComponent(name), encoding: .utf8))
            guard boxes.count == 1 else { continue }
            let jpeg = bccdFolder.appendingPathComponent("JPEGImages").appendingPathComponent(name.replacingOccurrences(of: ".xml", with: ".jpg"))
            guard let image = try? ImageDecoding.decode(contentsOf: jpeg) else { continue }
            let crop = NucleusCrop.locate(in: image)
            let (x0, y0, x1, y1) = boxes[0]
            let cx = (x0 + x1) / 2
            let cy = (y0 + y1) / 2
            total += 1
            let r = crop.rect
            if crop.found && cx >= r.x && cx < r.x + r.width && cy >= r.y && cy < r.y + r.height { hits += 1 }
        }
        print("nucleus crop contains the annotated WBC centre in \(hits)/\(total) BCCD originals")
        #expect(total > 50)
        #expect(Double(hits) >= 0.9 * Double(total))
    }
}
