import Testing

@testable import Report

@Suite struct NiceScaleTests {
    @Test func unitRangeGetsTenthsOrFifths() {
        let scale = NiceScale(min: 0, max: 1, targetTicks: 6)
        #expect(scale.lower == 0)
        #expect(scale.upper == 1)
        #expect(scale.step == 0.2)
        #expect(scale.ticks.map(scale.label) == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
    }

    @Test func countsGetRoundSteps() {
        let scale = NiceScale(covering: [3, 207, 88], includeZero: true)
        #expect(scale.lower == 0)
        #expect(scale.upper >= 207)
        #expect(scale.step == 50)
        #expect(scale.ticks.count >= 4 && scale.ticks.count <= 8)
    }

    @Test(arguments: [(-3.7, 12.2), (0.0012, 0.0019), (1e5, 3.4e6), (-50.0, -49.0), (0.02, 0.32)])
    func ticksCoverTheDataOnMultiplesOfTheStep(low: Double, high: Double) {
        let scale = NiceScale(min: low, max: high)
        #expect(scale.lower <= low && scale.upper >= high)
        let ticks = scale.ticks
        #expect(ticks.count >= 3 && ticks.count <= 12)
        for tick in ticks {
            let multiple = tick / scale.step
            #expect(abs(multiple - multiple.rounded()) < 1e-6)
        }
        let labels = ticks.map(scale.label)
        #expect(Set(labels).count == labels.count, "tick labels must differ: \(labels)")
    }

    @Test func degenerateInputsGiveAUsableRange() {
        let single = NiceScale(covering: [5.0])
        #expect(single.lower < 5 && single.upper > 5)
        let none = NiceScale(covering: [Double.nan, .infinity])
        #expect(none.lower == 0 && none.upper == 1)
        let zero = NiceScale(covering: [0.0, 0.0], includeZero: true)
        #expect(zero.lower == 0 && zero.upper > 0)
        let negative = NiceScale(covering: [-2.0])
        #expect(negative.lower < -2 && negative.upper > -2)
    }

    @Test func mapsEndsToPixelEnds() {
        let scale = NiceScale(lower: 0, upper: 10, step: 2)
        #expect(scale.map(0, from: 300, to: 50) == 300)
        #expect(scale.map(10, from: 300, to: 50) == 50)
        #expect(scale.map(5, from: 0, to: 100) == 50)
    }
}
