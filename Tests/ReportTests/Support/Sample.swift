import Foundation
import Report

/// Deterministic synthetic inputs for the report tests and the sample report (no random draws:
/// points come from a Halton sequence pushed through Box–Muller).
enum Sample {
    /// Three tiny JPEGs (32×32, a dark "nucleus" on a pink background), made once with Pillow.
    static let jpegs: [[UInt8]] = [
        "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAA0JCgsKCA0LCgsODg0PEyAVExISEyccHhcgLikxMC4pLSwzOko+MzZGNywtQFdBRkxOUlNSMj5aYVpQYEpRUk//2wBDAQ4ODhMREyYVFSZPNS01T09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT0//wAARCAAgACADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDtKKK4XWtYm1C4eONytqpwqqSA4z1Pr0/Crp03N2R1ndUV59pmqXGmzBomLRZ+aIn5W/wPHWu/ikSaJJYzlHUMpx1B6U6tJ0wHV59q2nS6beNGynymJMT9dy/4+teg02WOOaMxyoroeqsMg/hRSq+zYHnVlZzX1ysFuu5j1J6KPU+1eiQRLBbxwoSVjQICeuAMUQwQwIUgiSJSckIoUZ/Cn0VavtAP/9k=",
        "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAA0JCgsKCA0LCgsODg0PEyAVExISEyccHhcgLikxMC4pLSwzOko+MzZGNywtQFdBRkxOUlNSMj5aYVpQYEpRUk//2wBDAQ4ODhMREyYVFSZPNS01T09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT0//wAARCAAgACADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDuKp3+q2GnY+2XKRs3ReS3fnA5xweaNXvf7O0u4uwu5o1+UYyNxOBn2yRXl9zcTXVw89xIZJXOWY963pUufV7G56bZa1pt/KYrW7R5OykFSfoCBnp2q/XkCO0bq8bFXU5VlOCD6ivSvDepPqmkrNN/rkYxyHGAxGDn8iPxzTq0eRXQE2uWb3+jXNtEf3jqCo9SCCB+OMV5e6NG7JIpV1OGVhgg+hr1+srVPD2n6pL5s6PHNxmSI4LAdjnI/HGeBRRqqGjA8zr0fwpYTWGjKtwCskrmQowwVyAAD+Az+OKNO8MabYXAnVZJpFIKGVgdp9QAAPz9K2qdaspqyA//2Q==",
        "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAA0JCgsKCA0LCgsODg0PEyAVExISEyccHhcgLikxMC4pLSwzOko+MzZGNywtQFdBRkxOUlNSMj5aYVpQYEpRUk//2wBDAQ4ODhMREyYVFSZPNS01T09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT0//wAARCAAgACADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDuqxb3xJa27bLdTcMDyQdq/n3/AJe9Hie8a3sVgTIa4JBI/ujr/MfhmuQrShQUlzSO2EL6s6u18T28j7bmFoB2YHePx4z/ADrdVldQyMGVhkEHIIrzeum8J3jMJbJ8kKPMQ+g6EfqP1p18Oox5ojnBJXRL4rtmks4rhTxCxDD2bHP5gfnXKV6Qyq6lXUMrDBBGQRXO3vhgM26xlCgn7knQfQj8P8aMPXjFcsghNJWZzNdF4Stm82a7JwgXyx7ngn8uPzotfC8m/N5OoQdouSfxI47etdHDDHbwrDCgSNBgAU69eLjyxCc1ayP/2Q==",
    ].map { [UInt8](Data(base64Encoded: $0) ?? Data()) }

    /// In the order of the sample clusters, so cluster k and type k share a colour.
    static let cellTypes = ["NEUTROPHIL", "EOSINOPHIL", "LYMPHOCYTE", "MONOCYTE"]

    /// Element `index` of the Halton sequence in `base`, in (0, 1).
    static func halton(_ index: Int, base: Int) -> Double {
        var f = 1.0
        var r = 0.0
        var i = index + 1
        while i > 0 {
            f /= Double(base)
            r += f * Double(i % base)
            i /= base
        }
        return r
    }

    /// `count` points in `groups` Gaussian blobs around a circle; point i is in group i % groups.
    static func blobs(count: Int, groups: Int, spread: Double = 4) -> [ScatterPoint] {
        (0..<count).map { i in
            let group = groups > 0 ? i % groups : 0
            let angle = 2 * Double.pi * Double(group) / Double(max(groups, 1))
            let k = groups > 0 ? i / groups : i
            let u1 = max(halton(k, base: 2), 1e-9)
            let u2 = halton(k, base: 3)
            let radius = (-2 * log(u1)).squareRoot() * spread
            return ScatterPoint(
                x: 25 * cos(angle) + radius * cos(2 * .pi * u2),
                y: 25 * sin(angle) + radius * sin(2 * .pi * u2), group: group)
        }
    }

    /// A report with every section filled in.
    static func fullContent(points: Int = 800, thumbnails: [[UInt8]] = jpegs) -> ReportContent {
        var content = ReportContent(title: "Run bccd-demo", subtitle: "Sample report · synthetic data")
        content.settings = [
            .init(key: "data", value: "/work/shared/data/bccd-cropped"),
            .init(key: "clusters", value: "4"),
            .init(key: "image size", value: "96 × 96"),
            .init(key: "pretraining epochs", value: "30"),
            .init(key: "learning rate", value: "0.001"),
            .init(key: "seed", value: "42"),
        ]
        content.stageTimes = [
            .init(stage: "loading images", seconds: 4.2), .init(stage: "pretraining", seconds: 1_834),
            .init(stage: "k-means", seconds: 12.5), .init(stage: "clustering", seconds: 611),
            .init(stage: "t-SNE", seconds: 48),
        ]
        content.metrics = [
            .init(
                split: "train", images: 9_957, accuracy: 0.712, nmi: 0.523, ari: 0.461,
                mononuclearAccuracy: 0.884, polymorphonuclearAccuracy: 0.931),
            .init(
                split: "test", images: 2_487, accuracy: 0.655, nmi: 0.471, ari: 0.402,
                mononuclearAccuracy: 0.853, polymorphonuclearAccuracy: 0.902),
        ]
        content.cellTypeCounts = [
            BarDatum(label: "NEUTROPHIL", value: 207), BarDatum(label: "EOSINOPHIL", value: 88),
            BarDatum(label: "LYMPHOCYTE", value: 33), BarDatum(label: "MONOCYTE", value: 20),
            BarDatum(label: "BASOPHIL", value: 3),
        ]
        let epochs = 30
        content.pretrainingCurves = [
            LineSeries(
                name: "reconstruction loss (train)",
                values: (0..<epochs).map { 0.02 + 0.3 * exp(-Double($0) / 6) }),
            LineSeries(
                name: "reconstruction loss (test)",
                values: (0..<epochs).map { 0.03 + 0.3 * exp(-Double($0) / 6.5) }),
        ]
        content.clusteringCurves = [
            LineSeries(name: "KL loss", values: (0..<20).map { 0.09 * exp(-Double($0) / 5) + 0.01 }),
            LineSeries(
                name: "accuracy", values: (0..<20).map { 0.55 + 0.16 * (1 - exp(-Double($0) / 4)) },
                axis: .secondary),
            LineSeries(
                name: "NMI", values: (0..<20).map { 0.35 + 0.17 * (1 - exp(-Double($0) / 4)) },
                axis: .secondary),
        ]
        let clusterNames = ["0 → NEUTROPHIL", "1 → EOSINOPHIL", "2 → LYMPHOCYTE", "3 → MONOCYTE"]
        let embedded = blobs(count: points, groups: 4)
        content.embedding = .init(
            points: embedded, clusterNames: clusterNames,
            trueLabels: embedded.indices.map { $0 % 7 == 0 ? ($0 / 7) % 4 : $0 % 4 },
            labelNames: cellTypes)
        content.confusion = .init(
            counts: [[180, 15, 9, 3], [20, 61, 4, 3], [2, 1, 27, 3], [1, 2, 5, 12]],
            trueNames: ["NEUTROPHIL", "EOSINOPHIL", "LYMPHOCYTE", "MONOCYTE"],
            clusterNames: clusterNames)
        content.confidences = clusterNames.enumerated().map { k, name in
            HistogramGroup(
                name: name,
                values: (0..<(60 + 40 * k)).map { i in
                    min(1, 0.3 + 0.7 * pow(halton(i + 17 * k, base: 5), 0.4 + 0.3 * Double(k)))
                })
        }
        content.galleries = clusterNames.enumerated().map { k, name in
            func thumbs(_ label: String, _ offset: Int) -> [Thumbnail] {
                guard !thumbnails.isEmpty else { return [] }
                return (0..<6).map { i in
                    Thumbnail(
                        jpeg: thumbnails[(i + offset + k) % thumbnails.count],
                        caption: "\(label) #\(i + 1) of \(name)")
                }
            }
            return ClusterGallery(
                name: name, mostConfident: thumbs("most confident", 0),
                leastConfident: thumbs("least confident", 3))
        }
        content.network = [
            .init(name: "encoder.conv1", outputShape: [64, 48, 48], parameters: 9_408),
            .init(name: "encoder.layer1", outputShape: [256, 24, 24], parameters: 215_808),
            .init(name: "encoder.layer4", outputShape: [2048, 3, 3], parameters: 14_964_736),
            .init(name: "embedding", outputShape: [10], parameters: 20_490),
            .init(name: "decoder", outputShape: [3, 96, 96], parameters: 1_234_567),
        ]
        content.snapshots = [1, 5, 10].map { epoch in
            ReportContent.Snapshot(
                caption: "Epoch \(epoch)",
                points: blobs(count: 200, groups: 4, spread: 12.0 / Double(epoch).squareRoot()),
                groupNames: clusterNames)
        }
        return content
    }

    /// The same run without labels: no metrics, no confusion matrix, no by-label embedding.
    static func unlabelledContent() -> ReportContent {
        var content = fullContent(points: 300)
        content.metrics = [.init(split: "train", images: 300)]
        content.confusion = nil
        content.embedding?.trueLabels = nil
        content.cellTypeCounts = []
        return content
    }

    /// A hard case: unlabelled, 10,000 points, one huge cluster and an empty one, a hostile long name,
    /// gaps and an empty series in the curves.
    static func edgeCaseContent() -> ReportContent {
        let long = "Cluster 2 <\"very & long\"> name that keeps going well past any sensible width"
        let names = ["Cluster 0", "Cluster 1 (empty)", long]
        var content = ReportContent(
            title: "Edge cases: <unlabelled> & 10,000 points",
            subtitle: String(repeating: "a-very-long-path-segment/", count: 12))
        content.settings = [.init(key: "data", value: String(repeating: "/deep/folder", count: 20) + "/images")]
        let points = blobs(count: 10_000, groups: 3).map { p in
            ScatterPoint(x: p.x, y: p.y, group: p.group == 1 ? 0 : p.group)
        }
        content.embedding = .init(points: points, clusterNames: names)
        content.pretrainingCurves = [
            LineSeries(name: "loss", values: [0.5, 0.4, .nan, 0.3, .infinity, 0.2, 0.18, -.infinity, 0.15]),
            LineSeries(name: "validation loss (never measured)", values: []),
        ]
        content.clusteringCurves = [LineSeries(name: "KL loss", values: [0.01])]
        content.confidences = [
            HistogramGroup(name: names[0], values: (0..<6_667).map { 0.5 + 0.5 * halton($0, base: 2) }),
            HistogramGroup(name: names[1], values: []),
            HistogramGroup(name: long, values: (0..<3_333).map { halton($0, base: 3) }),
        ]
        content.galleries = [
            ClusterGallery(
                name: names[0], mostConfident: [Thumbnail(jpeg: jpegs[0], caption: "a")],
                leastConfident: [Thumbnail(jpeg: [1, 2, 3, 4], caption: "not a JPEG")]),
            ClusterGallery(name: names[1], mostConfident: [], leastConfident: []),
            ClusterGallery(
                name: long, mostConfident: jpegs.map { Thumbnail(jpeg: $0, caption: long) },
                leastConfident: []),
        ]
        return content
    }
}
