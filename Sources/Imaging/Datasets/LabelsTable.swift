import Foundation

/// The Kaggle/BCCD `labels.csv`: columns `Image` (integer id → `BloodImage_%05d.jpg`) and `Category`
/// (one cell type, several comma-separated types with irregular spacing, or empty).
public struct LabelsTable: Sendable {
    /// One row of the table.
    public struct Row: Sendable, Equatable {
        /// The `Image` id.
        public var imageID: Int
        /// Cell types as listed, trimmed and upper-cased; repeated types kept (`NEUTROPHIL,NEUTROPHIL` = two cells).
        public var categories: [String]
        /// Image file relative to the CSV's folder, from an optional `Path` column (synthetic sets).
        public var path: String? = nil
        /// `path` when given, else `BloodImage_%05d.jpg`.
        public var fileName: String { path ?? kaggleFileName }
        /// `BloodImage_%05d.jpg`.
        public var kaggleFileName: String { "BloodImage_" + String(repeating: "0", count: max(0, 5 - String(imageID).count)) + String(imageID) + ".jpg" }
        /// The distinct types in this row, sorted.
        public var distinctTypes: [String] { Array(Set(categories)).sorted() }
    }

    /// Why the table could not be read.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var detail: String
        public var description: String { "\(path): \(detail)" }
    }

    /// The rows in file order, one per image (a repeated image's types are merged into its first row).
    public var rows: [Row]
    /// The CSV file read (used to find the images).
    public var source: URL?
    /// Rows not used as written, each with its line number and why: no integer Image id, or an image
    /// listed again (its types merged; conflicting ones leave the image unlabelled).
    public var notes: [String] = []
    /// What was read but may not be what was meant: a file that is not UTF-8 (read as Windows-1252), a rare class
    /// whose name is a letter or two from another's.
    public var warnings: [String] = []

    public init(rows: [Row], source: URL? = nil, notes: [String] = [], warnings: [String] = []) {
        self.rows = rows
        self.source = source
        self.notes = notes
        self.warnings = warnings
    }

    /// Reads and parses `url`. UTF-8 (with or without a byte-order mark) is expected; any other file is read as
    /// Windows-1252 (Latin-1 with curly quotes, what many spreadsheets export), with a warning naming the first
    /// byte that is not UTF-8 and its line.
    public static func read(_ url: URL) throws(ImageLoadError) -> LabelsTable {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ImageLoadError(path: url.path, reason: .unreadable(error.localizedDescription))
        }
        var table = try read(data: data, path: url.path)
        table.source = url
        return table
    }

    /// Parses the bytes of a labels.csv; `path` labels warnings and errors.
    public static func read(data: Data, path: String) throws(ImageLoadError) -> LabelsTable {
        let (text, encodingWarning) = decode(data, path: path)
        do {
            var table = try parse(text, path: path)
            if let encodingWarning { table.warnings.insert(encodingWarning, at: 0) }
            return table
        } catch {
            throw ImageLoadError(path: path, reason: .labels(error.detail))
        }
    }

    /// The text of `data`: UTF-8 when it is, else Windows-1252 and a warning that says where UTF-8 failed.
    static func decode(_ data: Data, path: String) -> (String, String?) {
        let bytes = [UInt8](data)
        let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
        guard let bad = firstInvalidUTF8(body) else { return (String(decoding: body, as: UTF8.self), nil) }
        let line = 1 + body[..<bad].filter { $0 == 0x0A }.count
        // Foundation refuses Windows-1252's five unassigned bytes; Latin-1 takes every byte.
        let text = String(bytes: body, encoding: .windowsCP1252) ?? String(bytes: body, encoding: .isoLatin1) ?? ""
        let hex = String(body[bad], radix: 16, uppercase: true)
        return (
            text,
            "\(path) is not UTF-8 (byte 0x\(hex) on line \(line) is not valid UTF-8); read as Windows-1252 (Latin-1 with curly quotes and €), as spreadsheets often export it. Save it as UTF-8 to be sure of the names"
        )
    }

    /// The offset of the first byte that does not belong to a well-formed UTF-8 sequence, or nil.
    static func firstInvalidUTF8(_ b: [UInt8]) -> Int? {
        var i = 0
        while i < b.count {
            let lead = b[i]
            let (length, low, high): (Int, UInt8, UInt8) =
                switch lead {
                case 0x00...0x7F: (1, 0x80, 0xBF)
                case 0xC2...0xDF: (2, 0x80, 0xBF)
                case 0xE0: (3, 0xA0, 0xBF)
                case 0xE1...0xEC, 0xEE...0xEF: (3, 0x80, 0xBF)
                case 0xED: (3, 0x80, 0x9F)
                case 0xF0: (4, 0x90, 0xBF)
                case 0xF1...0xF3: (4, 0x80, 0xBF)
                case 0xF4: (4, 0x80, 0x8F)
                default: (0, 0, 0)
                }
            guard length > 0, i + length <= b.count else { return i }
            for j in 1..<length {
                let (lo, hi): (UInt8, UInt8) = j == 1 ? (low, high) : (0x80, 0xBF)
                if !(lo...hi).contains(b[i + j]) { return i }
            }
            i += length
        }
        return nil
    }

    /// Parses CSV text (quoted fields, CRLF or LF). Columns are found by header name
    /// (`Image`, `Category`, optional `Path`; case-insensitive). Rows without an integer Image id are left out,
    /// and an image listed twice keeps one row with both rows' types; both are recorded in `notes`.
    public static func parse(_ text: String, path: String = "labels.csv") throws(ParseError) -> LabelsTable {
        let (records, openQuote) = CSV.records(text)
        if let openQuote {
            throw ParseError(
                path: path,
                detail:
                    "line \(openQuote) opens a quoted field (\") that never closes, so the rest of the file would be read as one field; close the quote or remove it"
            )
        }
        guard let header = records.first else { throw ParseError(path: path, detail: "the file is empty; expected a header with Image and Category columns") }
        let names = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let imageColumn = names.firstIndex(of: "image"), let categoryColumn = names.firstIndex(of: "category") else {
            throw ParseError(path: path, detail: "header \(header) lacks an 'Image' or 'Category' column")
        }
        let pathColumn = names.firstIndex(of: "path")
        var rows: [Row] = []
        var notes: [String] = []
        var rowOfFile: [String: (index: Int, line: Int)] = [:]
        var lineOfRow: [Int] = []
        for (offset, record) in records.dropFirst().enumerated() {
            let line = offset + 2  // 1-based, after the header (records skip blank lines, so this is the record number)
            let value = imageColumn < record.count ? record[imageColumn].trimmingCharacters(in: .whitespaces) : ""
            guard let id = Int(value) else {
                notes.append("row \(line): Image '\(value)' is not an integer id (Image N names BloodImage_0000N.jpg); row left out")
                continue
            }
            let raw = categoryColumn < record.count ? record[categoryColumn] : ""
            let categories = raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines).uppercased() }.filter { !$0.isEmpty }
            var row = Row(imageID: id, categories: categories)
            if let pathColumn, pathColumn < record.count {
                let p = record[pathColumn].trimmingCharacters(in: .whitespaces)
                if !p.isEmpty { row.path = p }
            }
            if let first = rowOfFile[row.fileName] {
                let before = rows[first.index].distinctTypes
                rows[first.index].categories += row.categories
                let after = rows[first.index].distinctTypes
                let outcome =
                    after.count > 1 && before.count <= 1
                    ? "types merged (\(after.joined(separator: ", "))): the image is unlabelled" : "types merged"
                notes.append("row \(line): \(row.fileName) is already listed in row \(first.line); \(outcome)")
                continue
            }
            rowOfFile[row.fileName] = (rows.count, line)
            lineOfRow.append(line)
            rows.append(row)
        }
        if rows.isEmpty, let first = notes.first {
            throw ParseError(path: path, detail: "no row names an image: \(first)")
        }
        return LabelsTable(rows: rows, notes: notes, warnings: lookalikeClasses(rows, lines: lineOfRow, path: path))
    }

    /// A class of very few rows (at most 3, and under a tenth of the other's) whose name is one or two letters
    /// from a larger class's: probably a typo (`NEUTRPHIL`), which would otherwise become a class of its own.
    /// `lines` holds each row's record number, for the message.
    static func lookalikeClasses(_ rows: [Row], lines: [Int], path: String) -> [String] {
        var counts: [String: Int] = [:]
        var rowsOf: [String: [Int]] = [:]
        for (i, row) in rows.enumerated() where row.distinctTypes.count == 1 {
            counts[row.distinctTypes[0], default: 0] += 1
            rowsOf[row.distinctTypes[0], default: []].append(i < lines.count ? lines[i] : i + 2)
        }
        var warnings: [String] = []
        for (rare, n) in counts.sorted(by: { $0.key < $1.key }) where n <= 3 {
            let near = counts.filter { $0.key != rare && $0.value >= 10 * n && $0.key.count >= 4 }
                .map { (name: $0.key, count: $0.value, distance: editDistance(rare, $0.key)) }
                .filter { $0.distance <= 2 }
                .min { ($0.distance, $0.name) < ($1.distance, $1.name) }
            guard let near else { continue }
            let at = (rowsOf[rare] ?? []).map(String.init).joined(separator: ", ")
            warnings.append(
                "\(path): class '\(rare)' (row\(n == 1 ? "" : "s") \(at)) is \(near.distance) letter\(near.distance == 1 ? "" : "s") from '\(near.name)' (\(near.count) rows): a typo? Correct it, or it stays a class of its own"
            )
        }
        return warnings
    }

    /// Levenshtein distance between two names.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a)
        let y = Array(b)
        var previous = Array(0...y.count)
        for i in 1...max(1, x.count) where !x.isEmpty {
            var current = [i] + [Int](repeating: 0, count: y.count)
            for j in 1...max(1, y.count) where !y.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[y.count]
    }

    /// Cells per type over all rows (each listed occurrence counts; multi-label rows are split).
    public var cellCounts: [String: Int] {
        rows.reduce(into: [:]) { counts, row in for c in row.categories { counts[c, default: 0] += 1 } }
    }
    /// Rows with no category.
    public var unlabelledRows: Int { rows.filter { $0.categories.isEmpty }.count }
    /// Rows listing more than one cell.
    public var multiLabelRows: Int { rows.filter { $0.categories.count > 1 }.count }

    /// The images of this table as a dataset. Rows with exactly one distinct type are labelled
    /// (classes = sorted distinct types of such rows); rows with none or several types are unlabelled.
    /// Images are looked up in `imagesFolder`, default: the CSV's folder when rows carry a `Path`, else
    /// `JPEGImages/` next to the CSV (else the CSV's folder);
    /// missing ones are recorded in `skipped` (or thrown when `strict`).
    public func dataset(imagesFolder: URL? = nil, strict: Bool = false) throws(ImageLoadError) -> ImageDataset {
        let base = source?.deletingLastPathComponent() ?? URL(fileURLWithPath: ".")
        let folder =
            imagesFolder
            ?? {
                if rows.contains(where: { $0.path != nil }) { return base }
                let jpegs = base.appendingPathComponent("JPEGImages")
                return ImageDataset.isDirectory(jpegs) ? jpegs : base
            }()
        var skipped = SkipReport()
        let csvPath = source?.path ?? "labels.csv"
        for note in notes {
            let e = ImageLoadError(path: csvPath, reason: .labels(note))
            if strict { throw e }
            skipped.append(e)
        }
        var present: [(url: URL, types: [String])] = []
        for row in rows {
            let url = folder.appendingPathComponent(row.fileName)
            guard FileManager.default.fileExists(atPath: url.path) else {
                let e = ImageLoadError(path: url.path, reason: .missing)
                if strict { throw e }
                skipped.append(e)
                continue
            }
            present.append((url, row.distinctTypes))
        }
        // Classes come from the images that are there: a type whose every file is missing is no class.
        let classNames = Array(Set(present.compactMap { $0.types.count == 1 ? $0.types[0] : nil })).sorted()
        let samples = present.map { ImageSample(url: $0.url, label: $0.types.count == 1 ? classNames.firstIndex(of: $0.types[0]) : nil) }
        guard !samples.isEmpty else { throw ImageLoadError(path: folder.path, reason: .noImages) }
        return ImageDataset(samples: samples, classNames: classNames, skipped: skipped, warnings: warnings)
    }
}

/// Minimal RFC-4180 reader: commas, double-quoted fields with `""` escapes, CRLF or LF line ends. Returns the
/// records and, when the text ends inside a quoted field, the line that opened it.
enum CSV {
    static func records(_ text: String) -> (records: [[String]], unterminatedQuoteLine: Int?) {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var inQuotes = false
        var line = 1
        var quoteLine = 0
        var iterator = Array(text.unicodeScalars).makeIterator()
        var pending: Unicode.Scalar? = nil
        func finishRecord() {
            record.append(field)
            field = ""
            if !(record.count == 1 && record[0].isEmpty) { records.append(record) }
            record = []
        }
        while let ch = pending ?? iterator.next() {
            pending = nil
            if ch == "\n" { line += 1 }
            if inQuotes {
                if ch == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" {
                            field.unicodeScalars.append("\"")
                        } else {
                            inQuotes = false
                            pending = next
                        }
                    } else {
                        inQuotes = false
                    }
                } else {
                    field.unicodeScalars.append(ch)
                }
                continue
            }
            switch ch {
            case "\"":
                inQuotes = true
                quoteLine = line
            case ",":
                record.append(field)
                field = ""
            case "\r": break
            case "\n": finishRecord()
            default: field.unicodeScalars.append(ch)
            }
        }
        if inQuotes { return (records, quoteLine) }
        if !field.isEmpty || !record.isEmpty { finishRecord() }
        return (records, nil)
    }
}
