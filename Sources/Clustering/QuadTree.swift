/// A point-region quadtree over 2-D points for Barnes–Hut t-SNE: every cell keeps the number of points below it and
/// their centre of mass. Points closer together than 2⁻⁴⁰ of the root width share a leaf.
struct QuadTree {
    struct Node {
        var centreX: Double
        var centreY: Double
        var halfWidth: Double
        var massX = 0.0
        var massY = 0.0
        var count = 0
        /// Index of the first of four consecutive children, −1 for a leaf.
        var firstChild: Int32 = -1
        /// The point of a single-point leaf, −1 otherwise.
        var point: Int32 = -1
    }

    static let maxDepth = 40

    private(set) var nodes: [Node] = []
    /// The leaf that holds each point.
    private(set) var leafOfPoint: [Int32]

    /// Builds the tree of `n` points stored as (x, y) pairs.
    init(points y: UnsafeBufferPointer<Double>, count n: Int) {
        leafOfPoint = [Int32](repeating: -1, count: n)
        var minX = Double.infinity
        var maxX = -Double.infinity
        var minY = Double.infinity
        var maxY = -Double.infinity
        for i in 0..<n {
            minX = min(minX, y[2 * i])
            maxX = max(maxX, y[2 * i])
            minY = min(minY, y[2 * i + 1])
            maxY = max(maxY, y[2 * i + 1])
        }
        let half = max(max(maxX - minX, maxY - minY) / 2 * (1 + 1e-5), 1e-12)
        nodes.reserveCapacity(4 * n)
        nodes.append(Node(centreX: (minX + maxX) / 2, centreY: (minY + maxY) / 2, halfWidth: half))
        for i in 0..<n { insert(i, points: y) }
        for t in nodes.indices where nodes[t].count > 0 {
            nodes[t].massX /= Double(nodes[t].count)
            nodes[t].massY /= Double(nodes[t].count)
        }
    }

    private func quadrant(of node: Int, x: Double, y: Double) -> Int {
        (x >= nodes[node].centreX ? 1 : 0) + (y >= nodes[node].centreY ? 2 : 0)
    }

    private mutating func insert(_ i: Int, points: UnsafeBufferPointer<Double>) {
        let x = points[2 * i]
        let y = points[2 * i + 1]
        var node = 0
        var depth = 0
        while true {
            nodes[node].count += 1
            nodes[node].massX += x
            nodes[node].massY += y
            if nodes[node].firstChild >= 0 {
                node = Int(nodes[node].firstChild) + quadrant(of: node, x: x, y: y)
                depth += 1
                continue
            }
            if nodes[node].count == 1 {
                nodes[node].point = Int32(i)
                leafOfPoint[i] = Int32(node)
                return
            }
            if depth >= Self.maxDepth || nodes[node].point < 0 {
                // Coincident points: keep them together in this leaf.
                nodes[node].point = -1
                leafOfPoint[i] = Int32(node)
                return
            }
            // Split the leaf, move its point down one level, and go on inserting the new one.
            let old = Int(nodes[node].point)
            let oldX = points[2 * old]
            let oldY = points[2 * old + 1]
            let first = nodes.count
            let quarter = nodes[node].halfWidth / 2
            for q in 0..<4 {
                nodes.append(
                    Node(
                        centreX: nodes[node].centreX + (q & 1 == 1 ? quarter : -quarter),
                        centreY: nodes[node].centreY + (q & 2 == 2 ? quarter : -quarter),
                        halfWidth: quarter))
            }
            nodes[node].firstChild = Int32(first)
            nodes[node].point = -1
            let child = first + quadrant(of: node, x: oldX, y: oldY)
            nodes[child].count = 1
            nodes[child].massX = oldX
            nodes[child].massY = oldY
            nodes[child].point = Int32(old)
            leafOfPoint[old] = Int32(child)
            node = first + quadrant(of: node, x: x, y: y)
            depth += 1
        }
    }
}

extension QuadTree {
    /// Barnes–Hut repulsion on point `i` at (x, y): Σ_j q̃_ij² (y_i − y_j) and Σ_j q̃_ij with q̃ = 1/(1 + d²), a cell
    /// summarised by its centre of mass when its width / distance < θ. `stack` needs 3·maxDepth + 4 slots.
    static func repulsion(
        nodes: UnsafeBufferPointer<Node>, leafOfPoint: UnsafeBufferPointer<Int32>, point i: Int, x: Double, y: Double,
        theta: Double, stack: UnsafeMutablePointer<Int32>
    ) -> (fx: Double, fy: Double, sumQ: Double) {
        var fx = 0.0
        var fy = 0.0
        var sumQ = 0.0
        let thetaSquared = theta * theta
        let ownLeaf = leafOfPoint[i]
        var top = 1
        stack[0] = 0
        while top > 0 {
            top -= 1
            let index = stack[top]
            let node = nodes[Int(index)]
            if node.count == 0 { continue }
            let dx = x - node.massX
            let dy = y - node.massY
            let distanceSquared = dx * dx + dy * dy
            let width = 2 * node.halfWidth
            if node.firstChild < 0 || width * width < thetaSquared * distanceSquared {
                var mass = Double(node.count)
                if index == ownLeaf { mass -= 1 }
                if mass <= 0 { continue }
                let q = 1 / (1 + distanceSquared)
                sumQ += mass * q
                let m = mass * q * q
                fx += m * dx
                fy += m * dy
            } else {
                let c = node.firstChild
                stack[top] = c
                stack[top + 1] = c + 1
                stack[top + 2] = c + 2
                stack[top + 3] = c + 3
                top += 4
            }
        }
        return (fx, fy, sumQ)
    }
}
