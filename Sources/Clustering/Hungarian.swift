/// Minimum-cost one-to-one assignment of rows to columns (Hungarian / Kuhn–Munkres algorithm with potentials,
/// O(r²·c) for r ≤ c).
///
/// `cost` is a rectangular matrix (every row the same length). When there are fewer rows than columns every row is
/// assigned; when there are more, every column is assigned and the remaining rows get `nil`.
///
/// ```swift
/// let match = try hungarianAssignment(cost: [[4, 1], [2, 0], [0, 3]])   // [nil, 1, 0]: total cost 0
/// ```
/// - Returns: for each row, its column or `nil`.
/// - Throws: `ClusteringError` for ragged rows or non-finite costs.
public func hungarianAssignment(cost: [[Double]]) throws -> [Int?] {
    let rows = cost.count
    guard rows > 0, let columns = cost.first?.count, columns > 0 else { return Array(repeating: nil, count: rows) }
    for (i, row) in cost.enumerated() {
        guard row.count == columns else {
            throw ClusteringError.shapeMismatch(name: "cost row \(i)", expected: columns, actual: row.count)
        }
        if let j = row.firstIndex(where: { !$0.isFinite }) {
            throw ClusteringError.nonFinite(name: "cost", row: i, column: j)
        }
    }
    if rows <= columns {
        return assignRowsToColumns(cost, rows: rows, columns: columns).map { Optional($0) }
    }
    // More rows than columns: match columns to rows on the transpose.
    let transposed = (0..<columns).map { j in (0..<rows).map { i in cost[i][j] } }
    let columnToRow = assignRowsToColumns(transposed, rows: columns, columns: rows)
    var result = [Int?](repeating: nil, count: rows)
    for (j, i) in columnToRow.enumerated() { result[i] = j }
    return result
}

/// Shortest augmenting paths with row/column potentials; requires rows ≤ columns. Indices are 1-based inside, with
/// column 0 a virtual start.
private func assignRowsToColumns(_ a: [[Double]], rows n: Int, columns m: Int) -> [Int] {
    var u = [Double](repeating: 0, count: n + 1)
    var v = [Double](repeating: 0, count: m + 1)
    var matchOfColumn = [Int](repeating: 0, count: m + 1)
    var way = [Int](repeating: 0, count: m + 1)
    for i in 1...n {
        matchOfColumn[0] = i
        var j0 = 0
        var minValue = [Double](repeating: .infinity, count: m + 1)
        var used = [Bool](repeating: false, count: m + 1)
        repeat {
            used[j0] = true
            let i0 = matchOfColumn[j0]
            var delta = Double.infinity
            var j1 = 0
            for j in 1...m where !used[j] {
                let reduced = a[i0 - 1][j - 1] - u[i0] - v[j]
                if reduced < minValue[j] {
                    minValue[j] = reduced
                    way[j] = j0
                }
                if minValue[j] < delta {
                    delta = minValue[j]
                    j1 = j
                }
            }
            for j in 0...m {
                if used[j] {
                    u[matchOfColumn[j]] += delta
                    v[j] -= delta
                } else {
                    minValue[j] -= delta
                }
            }
            j0 = j1
        } while matchOfColumn[j0] != 0
        repeat {
            let j1 = way[j0]
            matchOfColumn[j0] = matchOfColumn[j1]
            j0 = j1
        } while j0 != 0
    }
    var columnOfRow = [Int](repeating: 0, count: n)
    for j in 1...m where matchOfColumn[j] != 0 { columnOfRow[matchOfColumn[j] - 1] = j - 1 }
    return columnOfRow
}
