import Testing

@testable import Report

@Suite struct NumberTextTests {
    @Test func fixedRoundsAndPads() {
        #expect(NumberText.fixed(3.14159, decimals: 2) == "3.14")
        #expect(NumberText.fixed(2.5, decimals: 0) == "3")
        #expect(NumberText.fixed(0.1, decimals: 3) == "0.100")
        #expect(NumberText.fixed(-1.005, decimals: 1) == "-1.0")
        #expect(NumberText.fixed(-0.001, decimals: 2) == "0.00")
        #expect(NumberText.fixed(1234567.891, decimals: 2) == "1234567.89")
        #expect(NumberText.fixed(.nan, decimals: 2) == "NaN")
        #expect(NumberText.fixed(-.infinity, decimals: 2) == "-∞")
    }

    @Test func compactDropsNeedlessDigits() {
        #expect(NumberText.compact(207) == "207")
        #expect(NumberText.compact(0.12345) == "0.1235")
        #expect(NumberText.compact(12.5) == "12.5")
        #expect(NumberText.compact(0) == "0")
        #expect(NumberText.compact(0.00001234) == "1.234e-5")
        #expect(NumberText.compact(25_000_000) == "2.5e7")
    }

    @Test func percentsDurationsAndGrouping() {
        #expect(NumberText.percent(0.8567) == "85.7%")
        #expect(NumberText.duration(seconds: 0.25) == "250 ms")
        #expect(NumberText.duration(seconds: 12.34) == "12.3 s")
        #expect(NumberText.duration(seconds: 245) == "4 min 05 s")
        #expect(NumberText.duration(seconds: 3720) == "1 h 02 min")
        #expect(NumberText.duration(seconds: .nan) == "–")
        #expect(NumberText.grouped(23_508_032) == "23,508,032")
        #expect(NumberText.grouped(-1_000) == "-1,000")
        #expect(NumberText.grouped(999) == "999")
    }

    @Test func tickLabelsHaveJustEnoughDecimals() {
        #expect(NumberText.tickLabel(0.2, step: 0.2) == "0.2")
        #expect(NumberText.tickLabel(0.25, step: 0.25) == "0.25")
        #expect(NumberText.tickLabel(50, step: 25) == "50")
        #expect(NumberText.tickLabel(1.5e-5, step: 5e-6) == "1.5e-5")
    }

    @Test func coordinatesUseAtMostTwoDecimals() {
        #expect(coord(12.3456) == "12.35")
        #expect(coord(3) == "3")
        #expect(coord(-0.25) == "-0.25")
        #expect(coord(10.10) == "10.1")
    }
}
