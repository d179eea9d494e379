import Determinism
import Testing

@testable import Clustering

@Suite struct HungarianTests {
    /// The minimum total cost over every injective assignment of the smaller side, by brute force.
    func bruteForceMinimum(_ cost: [[Double]]) -> Double {
        let rows = cost.count
        let columns = cost[0].count
        var best = Double.infinity
        func search(_ i: Int, _ used: Set<Int>, _ total: Double, _ skipped: Int) {
            if i == rows {
                best = min(best, total)
                return
            }
            for j in 0..<columns where !used.contains(j) { search(i + 1, used.union([j]), total + cost[i][j], skipped) }
            if skipped < rows - columns { search(i + 1, used, total, skipped + 1) }
        }
        search(0, [], 0, 0)
        return best
    }

    @Test(arguments: [(3, 3), (4, 4), (2, 5), (5, 2), (4, 6), (6, 4), (1, 3), (3, 1)])
    func matchesBruteForceOnRandomMatrices(rows: Int, columns: Int) throws {
        var rng = SeededGenerator(seed: UInt64(rows * 10 + columns))
        for _ in 0..<20 {
            let cost = (0..<rows).map { _ in (0..<columns).map { _ in Double(rng.nextInt(below: 20)) - 5 } }
            let assignment = try hungarianAssignment(cost: cost)
            #expect(assignment.count == rows)
            let assigned = assignment.compactMap { $0 }
            #expect(assigned.count == min(rows, columns))
            #expect(Set(assigned).count == assigned.count)
            var total = 0.0
            for (i, j) in assignment.enumerated() { if let j { total += cost[i][j] } }
            #expect(total == bruteForceMinimum(cost))
        }
    }

    @Test func documentedExample() throws {
        #expect(try hungarianAssignment(cost: [[4, 1], [2, 0], [0, 3]]) == [nil, 1, 0])
    }

    @Test func rejectsRaggedAndNonFiniteCosts() {
        #expect(throws: ClusteringError.shapeMismatch(name: "cost row 1", expected: 2, actual: 1)) {
            try hungarianAssignment(cost: [[1, 2], [3]])
        }
        #expect(throws: ClusteringError.nonFinite(name: "cost", row: 0, column: 1)) {
            try hungarianAssignment(cost: [[1, .nan]])
        }
    }
}
