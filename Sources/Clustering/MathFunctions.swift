// Elementary functions on Double without importing Foundation on Linux.
extension Double {
    /// Natural logarithm without Foundation.
    var logNatural: Double { _clusteringLog(self) }
}

#if canImport(Glibc)
    import Glibc
    @inline(__always) func _clusteringLog(_ x: Double) -> Double { Glibc.log(x) }
    @inline(__always) func _clusteringExp(_ x: Double) -> Double { Glibc.exp(x) }
    @inline(__always) func _clusteringPow(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
#else
    import Foundation
    @inline(__always) func _clusteringLog(_ x: Double) -> Double { Foundation.log(x) }
    @inline(__always) func _clusteringExp(_ x: Double) -> Double { Foundation.exp(x) }
    @inline(__always) func _clusteringPow(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
#endif
