import Foundation

/// A linear axis scale whose ends and ticks fall on "nice" numbers (1, 2, 2.5, 5 × 10ⁿ),
/// after Heckbert's "Nice numbers for graph labels" (Graphics Gems, 1990).
struct NiceScale: Sendable, Equatable {
    /// Lower end of the axis (a multiple of `step`).
    var lower: Double
    /// Upper end of the axis (a multiple of `step`).
    var upper: Double
    /// Distance between ticks, > 0.
    var step: Double

    /// A scale with the given ends and step (step > 0).
    init(lower: Double, upper: Double, step: Double) {
        self.lower = lower
        self.upper = upper
        self.step = step > 0 ? step : 1
    }

    /// A scale covering every finite value in `values`, with about `targetTicks` ticks.
    /// No finite values gives 0...1. A single value v gives a range around v.
    init<S: Sequence>(covering values: S, targetTicks: Int = 6, includeZero: Bool = false) where S.Element == Double {
        var low = Double.infinity
        var high = -Double.infinity
        for v in values where v.isFinite {
            low = min(low, v)
            high = max(high, v)
        }
        if low > high {
            low = 0
            high = 1
        }
        if includeZero {
            low = min(low, 0)
            high = max(high, 0)
        }
        self.init(min: low, max: high, targetTicks: targetTicks)
        // Padding around a single value must not push counts or scores below zero.
        if low >= 0 && lower < 0 { lower = 0 }
    }

    /// A scale covering `min...max` (finite, min ≤ max) with about `targetTicks` ticks.
    init(min low: Double, max high: Double, targetTicks: Int = 6) {
        var low = low
        var high = high
        if !(low.isFinite && high.isFinite) {
            low = 0
            high = 1
        }
        if low > high { swap(&low, &high) }
        if high - low <= abs(high) * 1e-12 {
            let pad = low == 0 ? 1 : abs(low) * 0.1
            low -= pad
            high += pad
        }
        let ticks = Swift.max(2, targetTicks)
        // Heckbert first rounds the range to a nice number, which can leave half the axis empty
        // (0...207 became 0...300); rounding the raw step keeps the axis tight (0...250 by 50).
        var step = Self.nice((high - low) / Double(ticks - 1), round: true)
        if !(step > 0 && step.isFinite) { step = 1 }
        lower = (low / step).rounded(.down) * step
        upper = (high / step).rounded(.up) * step
        self.step = step
    }

    /// Tick positions from `lower` to `upper` inclusive (at most 100).
    var ticks: [Double] {
        let count = Int(((upper - lower) / step).rounded()) + 1
        guard count > 0 else { return [lower] }
        return (0..<Swift.min(count, 100)).map { index in
            let v = lower + Double(index) * step
            return abs(v) < step * 1e-9 ? 0 : v
        }
    }

    /// The tick label for `value` with just enough decimals for this step.
    func label(_ value: Double) -> String { NumberText.tickLabel(value, step: step) }

    /// Maps a data value to a pixel coordinate, `lower` → `from`, `upper` → `to`.
    func map(_ value: Double, from: Double, to: Double) -> Double {
        let span = upper - lower
        guard span > 0 else { return (from + to) / 2 }
        return from + (value - lower) / span * (to - from)
    }

    /// The nice number near `x` (> 0): rounded to the closest of 1, 2, 5, 10 × 10ⁿ, or the ceiling among them.
    static func nice(_ x: Double, round: Bool) -> Double {
        guard x > 0, x.isFinite else { return 1 }
        let exponent = NumberText.floorLog10(x)
        let base = pow(10.0, exponent)
        let fraction = x / base
        let niceFraction: Double
        if round {
            niceFraction = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
        } else {
            niceFraction = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        }
        return niceFraction * base
    }
}
