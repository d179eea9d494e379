import ArgumentParser
import Foundation
import Imaging
import Workflows

/// `wbc stats`: counts per cell type in a labels.csv, or per class plus a size/format census of an image folder.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Count cell types in a labels.csv, or classes, image sizes and formats in an image folder.",
        discussion: """
            PATH is a labels.csv (columns Image, Category) or a folder: ROOT/<class>/<image> or a flat folder of images.
            Example: wbc stats images/TRAIN --chart train.svg
            """
    )

    @Argument(help: "A labels.csv file or an image folder.")
    var path: String

    @Flag(name: .long, help: "Fail on the first unreadable file instead of listing it.")
    var strict = false

    @Option(help: "Also write the cell-type distribution as an SVG bar chart to this file.")
    var chart: String?

    @Option(help: "Refuse images above this many megapixels (default \(PresetValues.base.maxMegapixels)).")
    var maxMegapixels: Double = PresetValues.base.maxMegapixels

    func validate() throws { try validateMegapixels(maxMegapixels) }

    /// Writes the distribution chart when --chart is given.
    func writeChart(_ counts: [(String, Int)]) throws {
        guard let chart else { return }
        try Pipeline.writeCountsChart(counts, to: chart)
        print("chart: \(chart)")
    }

    func run() throws {
        try reportingErrors {
            switch try Pipeline.statistics(path: path, strict: strict, maxMegapixels: maxMegapixels) {
            case .labels(let table): try printLabels(table)
            case .folder(let census): try printCensus(census)
            }
        }
    }

    private func printLabels(_ table: LabelsTable) throws {
        var rows = table.cellCounts.sorted { $0.key < $1.key }.map { [$0.key, String($0.value)] }
        rows.append(["(unlabelled rows)", String(table.unlabelledRows)])
        print(Self.table(header: ["Cell type", "Cells"], rows: rows))
        print("\(table.rows.count) rows, \(table.multiLabelRows) with several cells (split above), \(table.unlabelledRows) without a category.")
        for warning in table.warnings { print("warning: \(warning)") }
        try writeChart(table.cellCounts.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    private func printCensus(_ census: DatasetCensus) throws {
        print(Self.table(header: ["Class", "Images"], rows: census.classCounts.map { [$0.name, String($0.count)] }))
        print()
        print(Self.table(header: ["Size", "Images"], rows: census.sizes.prefix(12).map { [$0.size.description, String($0.count)] }))
        if census.sizes.count > 12 { print("… and \(census.sizes.count - 12) more sizes") }
        if let range = census.sizeRange, census.sizes.count > 1 {
            print(
                "\(census.sizes.count) distinct sizes; width \(range.width.lowerBound)–\(range.width.upperBound), height \(range.height.lowerBound)–\(range.height.upperBound)"
            )
        }
        print()
        print(Self.table(header: ["Format", "Images"], rows: census.formats.map { [$0.format.rawValue.uppercased(), String($0.count)] }))
        print()
        print(
            "\(census.readable) images with a readable header; \(census.decoded) decode whole"
                + (census.warnings.isEmpty ? "." : ", \(census.warnings.count) of them with a decoder warning:"))
        for warning in census.warnings { print("  \(warning)") }
        print(census.skipped)
        try writeChart(census.classCounts.map { ($0.name, $0.count) })
    }

    static func table(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { c in all.map { $0.count > c ? $0[c].count : 0 }.max() ?? 0 }
        func line(_ r: [String]) -> String {
            r.enumerated().map { c, v in
                c == 0
                    ? v.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[c] - v.count) + v
            }.joined(separator: "  ")
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
    }
}
