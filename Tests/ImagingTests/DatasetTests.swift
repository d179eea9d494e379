import Foundation
import Testing

@testable import Imaging

/// Builds `ROOT/<class>/<files>` with good images of every format and every kind of bad file.
struct BadDataFixture {
    let dir: TempDir
    var root: URL { dir.url.appendingPathComponent("data") }

    init() throws {
        dir = try TempDir()
        let fm = FileManager.default
        let good = gradientImage(width: 24, height: 20)
        let a = try dir.folder("data/A")
        let b = try dir.folder("data/b_class")
        let _ = try dir.folder("data/EMPTY")
        try Data(try ImageEncoding.jpeg(good)).write(to: a.appendingPathComponent("one.JPG"))
        try Data(try ImageEncoding.png(good)).write(to: a.appendingPathComponent("two.png"))
        try Data(ImageEncoding.bmp(good)).write(to: a.appendingPathComponent("three.Bmp"))
        try Data(try ImageEncoding.jpeg(good)).write(to: b.appendingPathComponent("four.jpeg"))
        // Hidden and non-image files are ignored.
        try Data([1, 2, 3]).write(to: a.appendingPathComponent(".DS_Store"))
        try Data("notes".utf8).write(to: a.appendingPathComponent("readme.txt"))
        // Bad files.
        fm.createFile(atPath: b.appendingPathComponent("zero.jpg").path, contents: Data())
        let jpeg = try ImageEncoding.jpeg(gradientImage(width: 64, height: 64))
        try Data(jpeg.prefix(jpeg.count / 2)).write(to: b.appendingPathComponent("truncated.jpg"))
        try Data("this is not an image\n".utf8).write(to: b.appendingPathComponent("text.jpg"))
        var png = try ImageEncoding.png(good)
        png[png.count - 13] ^= 0xFF
        try Data(png).write(to: b.appendingPathComponent("badcrc.png"))
        try Data(try ImageEncoding.png(gradientImage(width: 300, height: 200))).write(to: b.appendingPathComponent("huge.png"))
        let unreadable = b.appendingPathComponent("unreadable.png")
        try Data(try ImageEncoding.png(good)).write(to: unreadable)
        try fm.setAttributes([.posixPermissions: 0o000], ofItemAtPath: unreadable.path)
        // A dangling link is unreadable even for root.
        try fm.createSymbolicLink(atPath: b.appendingPathComponent("dangling.jpg").path, withDestinationPath: "/nonexistent/wbc-test.jpg")
    }

    /// Root can read anything; the unreadable case only holds for other users.
    var canMakeUnreadable: Bool { getuid() != 0 }

    func cleanup() {
        try? FileManager.default.setAttributes(
            [.posixPermissions: 0o644],
            ofItemAtPath: root.appendingPathComponent("b_class/unreadable.png").path)
        dir.cleanup()
    }
}

@Suite struct DatasetTests {
    @Test func imageFolderListsClassesAndReportsEmptyFolderAndZeroBytes() throws {
        let f = try BadDataFixture()
        defer { f.cleanup() }
        let ds = try ImageDataset.imageFolder(at: f.root)
        #expect(ds.classNames == ["A", "b_class"])
        #expect(ds.samples.filter { $0.label == 0 }.map(\.url.lastPathComponent) == ["one.JPG", "three.Bmp", "two.png"])
        #expect(ds.samples.filter { $0.label == 1 }.count == 7)  // zero.jpg left out at listing
        let categories = ds.skipped.countsByCategory
        #expect(categories["empty class folder"] == 1)
        #expect(categories["zero-byte"] == 1)
        #expect(ds.skipped.errors.contains { $0.path.hasSuffix("EMPTY") })
        #expect(ds.skipped.description.contains("zero.jpg"))
    }

    @Test func looseImagesBesideClassFoldersAreReportedAndOutputFoldersDoNotMakeClasses() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let jpeg = Data(try ImageEncoding.jpeg(gradientImage(width: 8, height: 8)))
        // Class folders with images, and one image beside them.
        let root = try dir.folder("root")
        try jpeg.write(to: try dir.folder("root/A").appendingPathComponent("a.jpg"))
        try jpeg.write(to: root.appendingPathComponent("loose.jpg"))
        let ds = try ImageDataset.open(root)
        #expect(ds.classNames == ["A"] && ds.samples.count == 1)
        #expect(ds.skipped.countsByCategory == ["outside class folders": 1])
        #expect(ds.skipped.errors.first?.path.hasSuffix("loose.jpg") == true)
        // A flat folder that gained a sub-folder without images (e.g. an output folder) stays flat.
        let flat = try dir.folder("flat")
        for name in ["x.jpg", "y.jpg"] { try jpeg.write(to: flat.appendingPathComponent(name)) }
        try Data("{}".utf8).write(to: try dir.folder("flat/emb").appendingPathComponent("features.json"))
        let flatSet = try ImageDataset.open(flat)
        #expect(flatSet.samples.map(\.url.lastPathComponent) == ["x.jpg", "y.jpg"] && flatSet.classNames.isEmpty)
        // A single image file is a one-image set.
        #expect(try ImageDataset.open(flat.appendingPathComponent("x.jpg")).samples.count == 1)
    }

    @Test func strictMakesListingProblemsFatal() throws {
        let f = try BadDataFixture()
        defer { f.cleanup() }
        #expect(throws: ImageLoadError.self) { try ImageDataset.imageFolder(at: f.root, strict: true) }
    }

    @Test func loaderSkipsEveryBadFileWithItsReason() throws {
        let f = try BadDataFixture()
        defer { f.cleanup() }
        let ds = try ImageDataset.imageFolder(at: f.root)
        var pre = PreprocessOptions(side: 16)
        pre.decode.maxPixels = 10_000
        let loader = ImageLoader(dataset: ds, preprocessing: pre, normalization: .half, batchSize: 4, threads: 2)
        var epoch = loader.batches()
        var paths: [String] = []
        while let batch = try epoch.next() {
            #expect(batch.data.count == batch.count * 3 * 16 * 16)
            paths += batch.paths.map(\.lastPathComponent)
        }
        #expect(Set(paths) == Set(["one.JPG", "two.png", "three.Bmp", "four.jpeg"] + (f.canMakeUnreadable ? [] : ["unreadable.png"])))
        let reasons = Dictionary(uniqueKeysWithValues: epoch.skipped.errors.map { (URL(fileURLWithPath: $0.path).lastPathComponent, $0.reason.category) })
        #expect(reasons["truncated.jpg"] == "truncated", "\(epoch.skipped)")
        #expect(reasons["text.jpg"] == "not an image")
        #expect(reasons["badcrc.png"] == "corrupt")
        #expect(reasons["huge.png"] == "too large")
        if f.canMakeUnreadable { #expect(reasons["unreadable.png"] == "unreadable") }
        #expect(reasons["dangling.jpg"] == "unreadable")
        #expect(epoch.skipped.description.hasPrefix("Skipped"))
    }

    @Test func strictLoaderThrowsOnFirstBadFile() throws {
        let f = try BadDataFixture()
        defer { f.cleanup() }
        let ds = try ImageDataset.imageFolder(at: f.root)
        let loader = ImageLoader(dataset: ds, preprocessing: PreprocessOptions(side: 16), batchSize: 64, strict: true, threads: 1)
        var epoch = loader.batches()
        #expect(throws: ImageLoadError.self) { while try epoch.next() != nil {} }
    }

    @Test func folderWithNoImagesAndMissingPaths() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let empty = try dir.folder("nothing")
        try Data("x".utf8).write(to: empty.appendingPathComponent("a.txt"))
        #expect(throws: ImageLoadError(path: empty.path, reason: .noImages)) { try ImageDataset.flatFolder(at: empty) }
        #expect(throws: ImageLoadError(path: empty.path, reason: .noImages)) { try ImageDataset.imageFolder(at: empty) }
        let missing = dir.file("missing")
        #expect(throws: ImageLoadError(path: missing.path, reason: .missing)) { try ImageDataset.imageFolder(at: missing) }
        // A list: missing entries and empty folders are skipped, good files kept in order.
        let good = dir.file("z.png")
        let good2 = dir.file("a.png")
        try Data(try ImageEncoding.png(gradientImage(width: 4, height: 4))).write(to: good)
        try Data(try ImageEncoding.png(gradientImage(width: 4, height: 4))).write(to: good2)
        let list = try ImageDataset.files([good, missing, empty, good2])
        #expect(list.samples.map(\.url) == [good, good2])
        #expect(list.samples.allSatisfy { $0.label == nil })
        #expect(list.skipped.countsByCategory == ["missing": 1, "no images": 1])
        #expect(throws: ImageLoadError.self) { try ImageDataset.files([good, missing], strict: true) }
    }

    @Test func stratifiedSplitKeepsClassShares() {
        var samples: [ImageSample] = []
        for i in 0..<100 { samples.append(ImageSample(url: URL(fileURLWithPath: "/a/\(i).png"), label: 0)) }
        for i in 0..<30 { samples.append(ImageSample(url: URL(fileURLWithPath: "/b/\(i).png"), label: 1)) }
        for i in 0..<5 { samples.append(ImageSample(url: URL(fileURLWithPath: "/u/\(i).png"), label: nil)) }
        let ds = ImageDataset(samples: samples, classNames: ["a", "b"])
        let (train, validation) = ds.stratifiedSplit(seed: 4)
        #expect(validation.countsByLabel[0] == 10 && validation.countsByLabel[1] == 3 && validation.countsByLabel[nil] == 1)
        #expect(train.samples.count + validation.samples.count == samples.count)
        #expect(Set(train.samples).isDisjoint(with: Set(validation.samples)))
        let again = ds.stratifiedSplit(seed: 4).validation
        #expect(again.samples == validation.samples)
        #expect(ds.stratifiedSplit(seed: 5).validation.samples != validation.samples)
    }

    /// A run resumes on a copy of its data with new modification times (a re-provisioned share), but not on
    /// images changed in place or renamed; runs written before content fingerprints still resume.
    @Test func fingerprintFollowsTheImagesNotWhereOrWhenTheyWereWritten() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        for (folder, name, side) in [("data/A", "one.png", 6), ("data/A", "two.png", 7), ("data/B", "three.png", 8)] {
            let url = try dir.folder(folder).appendingPathComponent(name)
            try Data(try ImageEncoding.png(gradientImage(width: side, height: side))).write(to: url)
        }
        let original = try ImageDataset.imageFolder(at: dir.file("data"))
        let saved = original.contentFingerprint
        #expect(saved.hasPrefix("c1:"))
        #expect(original.hasFingerprint(original.locationFingerprint, current: saved))

        let copy = dir.file("elsewhere/copy")
        try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: dir.file("data"), to: copy)
        let three = copy.appendingPathComponent("B/three.png")
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1e9)], ofItemAtPath: three.path)
        let copied = try ImageDataset.imageFolder(at: copy)
        #expect(copied.hasFingerprint(saved, current: copied.contentFingerprint))
        #expect(!copied.hasFingerprint(original.locationFingerprint, current: copied.contentFingerprint))

        var bytes = try Data(contentsOf: three)
        bytes[bytes.count / 2] ^= 1
        try bytes.write(to: three)
        #expect(try ImageDataset.imageFolder(at: copy).contentFingerprint != saved)

        try FileManager.default.moveItem(at: copy.appendingPathComponent("A/two.png"), to: copy.appendingPathComponent("A/zwei.png"))
        try Data(contentsOf: dir.file("data/B/three.png")).write(to: three)
        #expect(try ImageDataset.imageFolder(at: copy).contentFingerprint != saved)
    }
}

@Suite struct LabelsTableTests {
    let kaggleLike =
        ",Image,Category\r\n,0,NEUTROPHIL\r\n,1,\r\n,2,\"NEUTROPHIL, EOSINOPHIL\"\r\n,3,\"NEUTROPHIL,NEUTROPHIL\"\r\n,4,  monocyte \r\n,5,\"EOSINOPHIL ,  BASOPHIL\""

    @Test func parsesKaggleLayout() throws {
        let table = try LabelsTable.parse(kaggleLike)
        #expect(table.rows.count == 6)
        #expect(table.rows[0] == LabelsTable.Row(imageID: 0, categories: ["NEUTROPHIL"]))
        #expect(table.rows[1].categories.isEmpty)
        #expect(table.rows[2].categories == ["NEUTROPHIL", "EOSINOPHIL"])
        #expect(table.rows[4].categories == ["MONOCYTE"])
        #expect(table.rows[5].categories == ["EOSINOPHIL", "BASOPHIL"])
        #expect(table.rows[2].fileName == "BloodImage_00002.jpg")
        #expect(LabelsTable.Row(imageID: 410, categories: []).fileName == "BloodImage_00410.jpg")
        #expect(table.cellCounts == ["NEUTROPHIL": 4, "EOSINOPHIL": 2, "MONOCYTE": 1, "BASOPHIL": 1])
        #expect(table.unlabelledRows == 1 && table.multiLabelRows == 3)
    }

    /// A spreadsheet's Windows-1252 export is read, with a warning that names the first byte that is not UTF-8 and its
    /// line; a UTF-8 file with a byte-order mark is plain UTF-8.
    @Test func windows1252FileIsReadWithAWarningNamingTheLine() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let csv = dir.file("labels.csv")
        var bytes = Array("Image,Category,Path\n1,NEUTROPHIL,a.jpg\n2,MONOCYTE,cellule_".utf8)
        bytes += [0xE9] + Array(".jpg\n3,EOSINOPHIL,".utf8) + [0x92] + Array("s.jpg\n".utf8)  // "é" and "’" in Windows-1252
        try Data(bytes).write(to: csv)
        let table = try LabelsTable.read(csv)
        #expect(table.rows.map(\.fileName) == ["a.jpg", "cellule_é.jpg", "’s.jpg"])
        let warning = try #require(table.warnings.first)
        #expect(warning.contains("not UTF-8") && warning.contains("0xE9 on line 3") && warning.contains("Windows-1252"), "\(warning)")
        try Data([0xEF, 0xBB, 0xBF] + Array("Image,Category\n1,NEUTROPHIL\n".utf8)).write(to: csv)
        let utf8 = try LabelsTable.read(csv)
        #expect(utf8.warnings.isEmpty && utf8.rows.map(\.categories) == [["NEUTROPHIL"]])
        #expect(LabelsTable.firstInvalidUTF8(Array("naïve ✓ 🧫".utf8)) == nil)
        #expect(LabelsTable.firstInvalidUTF8([0x41, 0xC3]) == 1)  // a sequence cut short at the end
        #expect(LabelsTable.firstInvalidUTF8([0x41, 0xED, 0xA0, 0x80]) == 1)  // a UTF-16 surrogate
    }

    /// A quote that never closes would swallow the rest of the file: refused, naming the line that opened it.
    @Test func unterminatedQuoteIsReportedWithItsLine() throws {
        let text = "Image,Category\n1,NEUTROPHIL\n2,\"MONOCYTE\n3,EOSINOPHIL\n4,BASOPHIL\n"
        let error = #expect(throws: LabelsTable.ParseError.self) { try LabelsTable.parse(text) }
        #expect(error?.detail.contains("line 3 opens a quoted field") == true, "\(error?.detail ?? "")")
        let quoted = try LabelsTable.parse("Image,Category\n1,\"NEUTROPHIL,\nEOSINOPHIL\"\n2,MONOCYTE\n")
        #expect(quoted.rows.map(\.categories) == [["NEUTROPHIL", "EOSINOPHIL"], ["MONOCYTE"]])
    }

    /// A class of one row whose name is a letter from a large class's is probably a typo: a warning names both.
    @Test func lookalikeRareClassIsWarnedAbout() throws {
        var text = "Image,Category\n"
        for id in 0..<20 { text += "\(id),NEUTROPHIL\n" }
        for id in 20..<30 { text += "\(id),EOSINOPHIL\n" }
        text += "30,NEUTRPHIL\n31,BASOPHIL\n"
        let table = try LabelsTable.parse(text)
        #expect(table.warnings.count == 1, "\(table.warnings)")
        #expect(table.warnings.first?.contains("labels.csv: class 'NEUTRPHIL' (row 32) is 1 letter from 'NEUTROPHIL' (20 rows)") == true, "\(table.warnings)")
        #expect(LabelsTable.editDistance("MONOCYTE", "MONOCYTES") == 1 && LabelsTable.editDistance("", "AB") == 2)
    }

    @Test func datasetLabelsSingleTypeRowsOnly() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let images = try dir.folder("JPEGImages")
        for id in 0..<5 {  // id 5 is missing on purpose
            try Data(try ImageEncoding.jpeg(gradientImage(width: 8, height: 8))).write(
                to: images.appendingPathComponent(String(format: "BloodImage_%05d.jpg", id)))
        }
        let csv = dir.file("labels.csv")
        try kaggleLike.write(to: csv, atomically: true, encoding: .utf8)
        let ds = try LabelsTable.read(csv).dataset()
        #expect(ds.classNames == ["MONOCYTE", "NEUTROPHIL"])
        #expect(ds.samples.map(\.label) == [1, nil, nil, 1, 0])
        #expect(ds.skipped.countsByCategory == ["missing": 1])
        #expect(throws: ImageLoadError.self) { try LabelsTable.read(csv).dataset(strict: true) }
    }

    @Test func badIdsAndRepeatedImagesAreNotedNotSilentlyUsed() throws {
        let text = "Image,Category\n1,NEUTROPHIL\nBloodImage_00002.jpg,MONOCYTE\n1,NEUTROPHIL\n3,LYMPHOCYTE\n3,EOSINOPHIL\n4,BASOPHIL\n"
        let table = try LabelsTable.parse(text)
        #expect(table.rows.map(\.imageID) == [1, 3, 4])
        #expect(table.rows[0].distinctTypes == ["NEUTROPHIL"])
        #expect(table.rows[1].distinctTypes == ["EOSINOPHIL", "LYMPHOCYTE"])  // conflicting rows: unlabelled
        #expect(table.notes.count == 3)
        #expect(table.notes[0].contains("row 3: Image 'BloodImage_00002.jpg' is not an integer id"))
        #expect(table.notes[1].contains("row 4: BloodImage_00001.jpg is already listed in row 2"))
        #expect(table.notes[2].contains("the image is unlabelled"))
        // A table where no row has an id is refused, saying why.
        let none = #expect(throws: LabelsTable.ParseError.self) { try LabelsTable.parse("Image,Category\na.jpg,MONOCYTE\n") }
        #expect(none?.detail.contains("'a.jpg' is not an integer id") == true)

        // In a dataset: the notes are reported with the CSV's path, and a type whose only file is missing is no class.
        let dir = try TempDir()
        defer { dir.cleanup() }
        let images = try dir.folder("JPEGImages")
        for id in [1, 3] {
            try Data(try ImageEncoding.jpeg(gradientImage(width: 8, height: 8))).write(
                to: images.appendingPathComponent(String(format: "BloodImage_%05d.jpg", id)))
        }
        let csv = dir.file("labels.csv")
        try text.write(to: csv, atomically: true, encoding: .utf8)
        let ds = try LabelsTable.read(csv).dataset()
        #expect(ds.classNames == ["NEUTROPHIL"])  // BASOPHIL's image 4 is missing
        #expect(ds.samples.map(\.label) == [0, nil])
        #expect(ds.skipped.countsByCategory == ["labels.csv": 3, "missing": 1])
        #expect(ds.skipped.errors.first?.path == csv.path)
        #expect(throws: ImageLoadError.self) { try LabelsTable.read(csv).dataset(strict: true) }
    }

    @Test func rejectsTablesWithoutTheColumns() {
        #expect(throws: LabelsTable.ParseError.self) { try LabelsTable.parse("a,b\n1,2\n") }
        #expect(throws: LabelsTable.ParseError.self) { try LabelsTable.parse("") }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/work/shared/data/blood-cells/dataset-master/labels.csv")))
    func realKaggleLabels() throws {
        let table = try LabelsTable.read(URL(fileURLWithPath: "/work/shared/data/blood-cells/dataset-master/labels.csv"))
        #expect(table.rows.count == 411)
        #expect(table.unlabelledRows == 44)
        #expect(table.cellCounts["BASOPHIL", default: 0] >= 3)
    }
}
