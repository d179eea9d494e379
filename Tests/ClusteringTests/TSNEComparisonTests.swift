import Clustering
import Foundation
import Testing

/// Developer-time check driven by `Scripts/tsne_compare.py`: embeds the raw float32 matrix named by
/// `WBC_TSNE_INPUT` (n × d from `WBC_TSNE_N`, `WBC_TSNE_D`) and writes `<input>.swift.f32` (n × 2 float32) and
/// `<input>.swift.json` (seconds, KL). Skipped unless the variables are set.
@Suite struct TSNEComparisonTests {
    static let environment = ProcessInfo.processInfo.environment

    @Test(.enabled(if: environment["WBC_TSNE_INPUT"] != nil, "set WBC_TSNE_INPUT (Scripts/tsne_compare.py does)"))
    func embedExternalInput() throws {
        let path = try #require(Self.environment["WBC_TSNE_INPUT"])
        let n = try #require(Int(Self.environment["WBC_TSNE_N"] ?? ""))
        let d = try #require(Int(Self.environment["WBC_TSNE_D"] ?? ""))
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(data.count == n * d * 4)
        let x = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let clock = ContinuousClock()
        let start = clock.now
        let result = try TSNE(seed: 0).embed(x, n: n, d: d)
        let seconds = (clock.now - start) / .seconds(1)
        #expect(result.coordinates.allSatisfy { $0.isFinite })
        try result.coordinates.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: path + ".swift.f32")) }
        let summary: [String: Any] = [
            "seconds": seconds, "kl_divergence": result.klDivergence,
            "method": result.method.rawValue, "perplexity": result.perplexity,
        ]
        try JSONSerialization.data(withJSONObject: summary).write(to: URL(fileURLWithPath: path + ".swift.json"))
    }
}
