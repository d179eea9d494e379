import Testing

@testable import Clustering

/// One case of `Fixtures/metrics.json` (values from scikit-learn 1.9 and SciPy).
struct MetricsCase: Decodable {
    let name: String
    let labels: [Int]
    let clusters: [Int]
    let accuracy: Double
    let nmi: Double
    let ari: Double
    let class_names: [String]?
    let cluster_count: Int?
    let confusion: [[Int]]?
    let matched_total: Int?
    let mapping: [Int?]?
    let coarse_accuracy: Double?
}

struct MetricsFixture: Decodable { let cases: [MetricsCase] }

@Suite struct ClusteringMetricsTests {
    let fixture: MetricsFixture

    init() throws { fixture = try loadFixture("metrics", as: MetricsFixture.self) }

    @Test func accuracyNMIAndARIMatchScikitLearn() throws {
        #expect(fixture.cases.count >= 8)
        for c in fixture.cases {
            let accuracy = try ClusteringMetrics.accuracy(labels: c.labels, clusters: c.clusters)
            let nmi = try ClusteringMetrics.normalizedMutualInformation(labels: c.labels, clusters: c.clusters)
            let ari = try ClusteringMetrics.adjustedRandIndex(labels: c.labels, clusters: c.clusters)
            #expect(abs(accuracy - c.accuracy) < 1e-12, "\(c.name): accuracy")
            #expect(abs(nmi - c.nmi) < 1e-12, "\(c.name): NMI \(nmi) vs \(c.nmi)")
            #expect(abs(ari - c.ari) < 1e-12, "\(c.name): ARI \(ari) vs \(c.ari)")
        }
    }

    @Test func confusionMappingAndCoarseAccuracyMatchReference() throws {
        let indexed = fixture.cases.filter { $0.class_names != nil }
        #expect(indexed.count >= 5)
        for c in indexed {
            let names = try #require(c.class_names)
            let k = try #require(c.cluster_count)
            let confusion = try ClusteringMetrics.confusionMatrix(
                labels: c.labels, clusters: c.clusters,
                classCount: names.count, clusterCount: k)
            #expect(confusion == c.confusion, "\(c.name): confusion")
            // Optimal matchings may differ on ties; their matched totals may not.
            let matching = try ClusteringMetrics.optimalMatching(confusion: confusion)
            var total = 0
            for (cluster, cls) in matching.enumerated() { if let cls { total += confusion[cls][cluster] } }
            #expect(total == c.matched_total, "\(c.name): matched total")
            let coarse = try ClusteringMetrics.mononuclearPolymorphonuclearAccuracy(
                labels: c.labels, clusters: c.clusters, classNames: names, clusterToClass: try #require(c.mapping))
            #expect(coarse == c.coarse_accuracy, "\(c.name): coarse accuracy")
        }
    }

    @Test func mappingFillsUnmatchedClustersWithTheirMajorityClass() throws {
        // 2 classes, 3 clusters: cluster 2 is left over by the one-to-one matching and is mostly class 1.
        let confusion = [[5, 0, 1], [0, 6, 3]]
        #expect(try ClusteringMetrics.optimalMatching(confusion: confusion) == [0, 1, nil])
        #expect(try ClusteringMetrics.clusterToClass(confusion: confusion) == [0, 1, 1])
        // An empty unmatched cluster stays unnamed.
        #expect(try ClusteringMetrics.clusterToClass(confusion: [[4, 0, 0], [0, 2, 0]]) == [0, 1, nil])
    }

    @Test func evaluateCombinesTheMetrics() throws {
        let names = ["NEUTROPHIL", "LYMPHOCYTE", "MONOCYTE", "EOSINOPHIL"]
        let labels = [0, 0, 0, 1, 1, 2, 2, 3, 3, 3]
        let clusters = [2, 2, 1, 0, 0, 3, 3, 1, 1, 1]
        let e = try ClusteringMetrics.evaluate(labels: labels, clusters: clusters, classNames: names, clusterCount: 4)
        #expect(e.clusterToClass == [1, 3, 0, 2])
        #expect(e.accuracy == 0.9)
        #expect(e.confusion[0] == [0, 1, 2, 0])
        // Only the neutrophil put with the eosinophils keeps its coarse group: every point is coarse-correct.
        #expect(e.mononuclearPolymorphonuclearAccuracy == 1.0)
        #expect(e.count == 10)
        #expect(abs(e.nmi - (try ClusteringMetrics.normalizedMutualInformation(labels: labels, clusters: clusters))) == 0)
    }

    @Test func coarseAccuracyIsNilForOtherClassNames() throws {
        let value = try ClusteringMetrics.mononuclearPolymorphonuclearAccuracy(
            labels: [0, 1], clusters: [0, 1], classNames: ["blob-a", "blob-b"], clusterToClass: [0, 1])
        #expect(value == nil)
    }

    @Test func rejectsMismatchedAndOutOfRangeLabels() {
        #expect(throws: ClusteringError.shapeMismatch(name: "clusters", expected: 3, actual: 2)) {
            try ClusteringMetrics.accuracy(labels: [0, 1, 1], clusters: [0, 1])
        }
        #expect(throws: ClusteringError.emptyInput(name: "labels")) {
            try ClusteringMetrics.adjustedRandIndex(labels: [], clusters: [])
        }
        #expect(throws: ClusteringError.invalidLabel(name: "clusters", index: 1, value: 4, count: 4)) {
            try ClusteringMetrics.confusionMatrix(labels: [0, 1], clusters: [0, 4], classCount: 2, clusterCount: 4)
        }
    }
}
