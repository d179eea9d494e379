/// An input problem found by a clustering, metric or embedding routine. The description says what was wrong and what
/// to do about it.
public enum ClusteringError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A matrix or vector named `name` has `actual` elements where `expected` were needed (n × d).
    case shapeMismatch(name: String, expected: Int, actual: Int)
    /// A size that must be positive is not (e.g. zero points, zero dimensions).
    case emptyInput(name: String)
    /// The number of clusters `k` does not fit the number of points `n`.
    case invalidClusterCount(k: Int, points: Int)
    /// A value that must be finite is NaN or infinite, at `row`, `column` of the matrix `name`.
    case nonFinite(name: String, row: Int, column: Int)
    /// A parameter is out of its range; `reason` names the range.
    case invalidParameter(name: String, value: String, reason: String)
    /// A label is negative or not below its stated count.
    case invalidLabel(name: String, index: Int, value: Int, count: Int)

    public var description: String {
        switch self {
        case .shapeMismatch(let name, let expected, let actual):
            return "\(name) has \(actual) values but \(expected) were expected; check the number of rows and columns passed with it"
        case .emptyInput(let name):
            return "\(name) is empty; pass at least one point with at least one feature"
        case .invalidClusterCount(let k, let points):
            if k < 1 {
                return "k = \(k) clusters is not allowed; ask for 1 cluster or more"
            }
            return "k = \(k) clusters is more than the \(points) points available; ask for \(points) clusters or fewer, or add data"
        case .nonFinite(let name, let row, let column):
            return
                "\(name) holds a NaN or infinite value at row \(row), column \(column); the features are broken (check the model checkpoint and the input images)"
        case .invalidParameter(let name, let value, let reason):
            return "\(name) = \(value) is not allowed: \(reason)"
        case .invalidLabel(let name, let index, let value, let count):
            return "\(name)[\(index)] = \(value) is outside 0..<\(count); labels must be indices of known classes or clusters"
        }
    }
}

/// Throws when `values` does not hold `rows × columns` finite numbers.
func validateMatrix(_ values: [Float], rows: Int, columns: Int, name: String) throws {
    guard rows > 0, columns > 0 else { throw ClusteringError.emptyInput(name: name) }
    guard values.count == rows * columns else {
        throw ClusteringError.shapeMismatch(name: name, expected: rows * columns, actual: values.count)
    }
    if let bad = values.firstIndex(where: { !$0.isFinite }) {
        throw ClusteringError.nonFinite(name: name, row: bad / columns, column: bad % columns)
    }
}

/// Throws when a label vector holds values outside `0..<count`.
func validateLabels(_ labels: [Int], count: Int, name: String) throws {
    if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= count }) {
        throw ClusteringError.invalidLabel(name: name, index: bad, value: labels[bad], count: count)
    }
}
