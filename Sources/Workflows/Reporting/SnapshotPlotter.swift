import Clustering
import Foundation
import Report

/// Draws `RUN/plots/tsne-epoch-NNN.svg` from each clustering snapshot: a t-SNE of the features the epoch
/// saw, coloured by cluster.
public struct SnapshotPlotter: TrainingObserver {
    public let run: RunDirectory
    public init(run: RunDirectory) { self.run = run }

    public func observe(_ event: TrainingEvent) throws {
        guard case .clusterSnapshot(let s) = event, s.n >= 5 else { return }
        let r = try TSNE(perplexity: min(30, Double(s.n - 1) / 3), iterations: 500, seed: s.seed).embed(s.features, n: s.n, d: s.d)
        let points = (0..<s.n).map { ScatterPoint(x: Double(r.coordinates[2 * $0]), y: Double(r.coordinates[2 * $0 + 1]), group: s.clusters[$0]) }
        let svg = SVGChart.scatter(title: "t-SNE after clustering epoch \(s.epoch)", points: points, groupNames: (0..<s.k).map { "cluster \($0)" })
        try FileManager.default.createDirectory(at: run.plots, withIntermediateDirectories: true)
        try AtomicText.write(svg, to: run.plots.appendingPathComponent(String(format: "tsne-epoch-%03d.svg", s.epoch)))
    }
}
