import Determinism
import Foundation
import Testing

@testable import Imaging

@Suite struct SyntheticSmearsTests {
    @Test func renderIsDeterministicAndVaried() {
        let a = SyntheticSmears.render(.neutrophil, seed: 5, index: 3)
        let b = SyntheticSmears.render(.neutrophil, seed: 5, index: 3)
        let c = SyntheticSmears.render(.neutrophil, seed: 5, index: 4)
        let d = SyntheticSmears.render(.neutrophil, seed: 6, index: 3)
        #expect(a == b)
        #expect(a.width == 320 && a.height == 240)
        #expect(meanAbsDiff(a.pixels, c.pixels) > 5)
        #expect(meanAbsDiff(a.pixels, d.pixels) > 5)
    }

    @Test func nucleusIsFoundInEverySyntheticImage() {
        for type in CellType.allCases {
            for i in 0..<4 {
                #expect(NucleusCrop.locate(in: SyntheticSmears.render(type, seed: 11, index: i)).found, "\(type) \(i)")
            }
        }
    }

    /// Simple colour features of the nucleus crop separate the four classes: k-means (k = 4) on
    /// 4×4×4 colour histograms reaches ≥ 90 % accuracy under the best cluster-to-class mapping.
    @Test func classesSeparateUnderSimpleFeatures() {
        let perClass = Int(ProcessInfo.processInfo.environment["WBC_SYNTH_PER_CLASS"] ?? "") ?? 12
        var features: [[Double]] = []
        var labels: [Int] = []
        for (label, type) in CellType.kaggle.enumerated() {
            for i in 0..<perClass {
                let image = SyntheticSmears.render(type, seed: 21, index: i, options: .init(size: ImageSize(width: 160, height: 120)))
                let crop = NucleusCrop.locate(in: image)
                let small = Resize.rgb8(image, to: ImageSize(side: 32), region: crop.rect)
                var histogram = [Double](repeating: 0, count: 64)
                for p in 0..<(32 * 32) {
                    let r = Int(small.pixels[3 * p]) / 64
                    let g = Int(small.pixels[3 * p + 1]) / 64
                    let b = Int(small.pixels[3 * p + 2]) / 64
                    histogram[r * 16 + g * 4 + b] += 1.0 / 1024
                }
                features.append(histogram.map { $0.squareRoot() })
                labels.append(label)
            }
        }
        let assignment = kMeans(features, k: 4, restarts: 8, seed: 3)
        let accuracy = bestMappingAccuracy(assignment, labels, k: 4)
        print("synthetic smears: k-means accuracy \(accuracy) on \(4 * perClass) images")
        #expect(accuracy >= 0.9, "accuracy \(accuracy)")
    }

    @Test func writesImageFolderAndLabels() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let summary = try SyntheticSmears.write(to: dir.url, perClass: 2, seed: 1, options: .init(size: ImageSize(width: 64, height: 48)))
        #expect(summary.files.count == 8)
        let folder = try ImageDataset.imageFolder(at: dir.url)
        #expect(folder.classNames == ["EOSINOPHIL", "LYMPHOCYTE", "MONOCYTE", "NEUTROPHIL"])
        #expect(folder.samples.count == 8)
        let table = try LabelsTable.read(summary.labelsFile)
        #expect(table.cellCounts == ["EOSINOPHIL": 2, "LYMPHOCYTE": 2, "MONOCYTE": 2, "NEUTROPHIL": 2])
        let fromCSV = try table.dataset()
        #expect(fromCSV.samples.map(\.url.lastPathComponent) == folder.samples.map(\.url.lastPathComponent))
        #expect(fromCSV.samples.map(\.label) == folder.samples.map(\.label))
        let image = try ImageDecoding.decode(contentsOf: summary.files[0])
        #expect(image.width == 64 && image.height == 48)
    }
}

/// Lloyd's k-means with k-means++ seeding; the restart with the lowest inertia wins.
func kMeans(_ x: [[Double]], k: Int, restarts: Int, seed: UInt64) -> [Int] {
    var rng = SeededGenerator(seed: seed)
    func dist(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
    var best: (inertia: Double, assignment: [Int]) = (.infinity, [])
    for _ in 0..<restarts {
        var centres = [x[rng.nextInt(below: x.count)]]
        while centres.count < k {
            let d = x.map { p in centres.map { dist(p, $0) }.min() ?? 0 }
            var u = rng.nextUniformDouble() * d.reduce(0, +)
            var pick = 0
            for (i, v) in d.enumerated() {
                u -= v
                if u <= 0 {
                    pick = i
                    break
                }
            }
            centres.append(x[pick])
        }
        var assignment = [Int](repeating: 0, count: x.count)
        for _ in 0..<50 {
            assignment = x.map { p in (0..<k).min { dist(p, centres[$0]) < dist(p, centres[$1]) } ?? 0 }
            for c in 0..<k {
                let members = x.indices.filter { assignment[$0] == c }
                guard !members.isEmpty else { continue }
                centres[c] = (0..<x[0].count).map { j in members.reduce(0) { $0 + x[$1][j] } / Double(members.count) }
            }
        }
        let inertia = x.indices.reduce(0) { $0 + dist(x[$1], centres[assignment[$1]]) }
        if inertia < best.inertia { best = (inertia, assignment) }
    }
    return best.assignment
}

/// Accuracy under the best one-to-one cluster → label mapping (all permutations; small k only).
func bestMappingAccuracy(_ assignment: [Int], _ labels: [Int], k: Int) -> Double {
    func permutations(_ a: [Int]) -> [[Int]] {
        guard a.count > 1 else { return [a] }
        return a.indices.flatMap { i -> [[Int]] in
            var rest = a
            let head = rest.remove(at: i)
            return permutations(rest).map { [head] + $0 }
        }
    }
    let best = permutations(Array(0..<k)).map { perm in zip(assignment, labels).filter { perm[$0.0] == $0.1 }.count }.max() ?? 0
    return Double(best) / Double(labels.count)
}
