import Determinism
import Foundation
import Testing

@testable import Imaging

@Suite struct LoaderTests {
    /// 10 small synthetic images in two classes.
    func makeDataset(_ dir: TempDir) throws -> ImageDataset {
        for (c, name) in ["x", "y"].enumerated() {
            let folder = try dir.folder("set/\(name)")
            for i in 0..<5 {
                let img = SyntheticSmears.render(
                    c == 0 ? .lymphocyte : .neutrophil, seed: 2, index: i,
                    options: .init(size: ImageSize(width: 64, height: 48)))
                try ImageEncoding.write(img, to: folder.appendingPathComponent("img\(i).png"))
            }
        }
        return try ImageDataset.imageFolder(at: dir.url.appendingPathComponent("set"))
    }

    func collect(_ loader: ImageLoader, epoch: Int = 0, shuffle: Bool, seed: UInt64) throws -> [ImageBatch] {
        var e = loader.batches(epoch: epoch, shuffle: shuffle, seed: seed)
        var out: [ImageBatch] = []
        while let b = try e.next() { out.append(b) }
        return out
    }

    @Test func batchesHaveNCHWShapeAndCoverTheDataset() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let ds = try makeDataset(dir)
        let loader = ImageLoader(dataset: ds, preprocessing: PreprocessOptions(side: 12), normalization: .half, batchSize: 4, threads: 2)
        let batches = try collect(loader, shuffle: false, seed: 0)
        #expect(batches.map(\.count) == [4, 4, 2])
        #expect(batches.allSatisfy { $0.data.count == $0.count * 3 * 12 * 12 })
        #expect(batches.flatMap(\.indices) == Array(0..<10))
        #expect(batches.flatMap(\.labels) == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
        #expect(batches.allSatisfy { $0.data.allSatisfy { $0 >= -1 && $0 <= 1 } })
        // The first image equals preprocessing it by hand.
        var expected = Resize.chw(try PreprocessOptions(side: 12).preprocess(ds.samples[0].url).image)
        try Normalization.half.apply(to: &expected)
        #expect(Array(batches[0].data.prefix(3 * 144)) == expected)
    }

    @Test func shuffleAndAugmentationAreDeterministicAndThreadIndependent() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let ds = try makeDataset(dir)
        let one = ImageLoader(
            dataset: ds, preprocessing: PreprocessOptions(side: 12), batchSize: 3,
            augmentation: AugmentationOptions(), threads: 1)
        var two = one
        two.threads = 2
        let a = try collect(one, epoch: 1, shuffle: true, seed: 7)
        let b = try collect(two, epoch: 1, shuffle: true, seed: 7)
        #expect(a.flatMap(\.indices) == b.flatMap(\.indices))
        #expect(a.flatMap(\.data) == b.flatMap(\.data))
        #expect(a.flatMap(\.indices) != Array(0..<10))
        let otherEpoch = try collect(one, epoch: 2, shuffle: true, seed: 7)
        #expect(otherEpoch.flatMap(\.indices) != a.flatMap(\.indices))
        #expect(Set(otherEpoch.flatMap(\.indices)) == Set(0..<10))
    }

    @Test func nucleusCropIsReportedPerImage() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let ds = try makeDataset(dir)
        let loader = ImageLoader(dataset: ds, preprocessing: PreprocessOptions(side: 16, crop: .nucleus), batchSize: 10, threads: 2)
        var epoch = loader.batches()
        let batch = try #require(try epoch.next())
        #expect(batch.nucleusFound.allSatisfy { $0 == true })
        #expect(epoch.nucleiFound == 10 && epoch.served == 10)
    }

    @Test func cacheMatchesDecodingAndDetectsStaleness() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        var ds = try makeDataset(dir)
        // One bad file in the list: it is recorded in the cache and skipped on every epoch.
        let bad = dir.file("set/y/zz_bad.png")
        try Data("nope".utf8).write(to: bad)
        ds.samples.append(ImageSample(url: bad, label: 1))
        let options = PreprocessOptions(side: 12, crop: .nucleus)
        let cacheURL = dir.file("prep.cache")
        let (cache, rebuilt) = try PreprocessedCache.openOrBuild(at: cacheURL, dataset: ds, options: options, threads: 2, chunk: 4)
        #expect(rebuilt)
        #expect(cache.count == 11)
        #expect(cache.skipped.errors.map(\.path) == [bad.path])
        #expect(cache.nucleusFoundShare == 1)

        let plain = ImageLoader(dataset: ds, preprocessing: options, batchSize: 4, threads: 2)
        var cached = plain
        cached.cache = cache
        var e1 = plain.batches()
        var e2 = cached.batches()
        var d1: [Float] = []
        var d2: [Float] = []
        while let b = try e1.next() { d1 += b.data }
        while let b = try e2.next() { d2 += b.data }
        #expect(d1 == d2 && d1.count == 10 * 3 * 144)
        #expect(e2.skipped.errors.count == 1 && e1.skipped.errors.count == 1)

        // Same settings: reused. Different side: rebuilt. A file touched: reused; a file changed: rebuilt.
        #expect(try PreprocessedCache.openOrBuild(at: cacheURL, dataset: ds, options: options).rebuilt == false)
        var bigger = options
        bigger.side = 14
        #expect(try PreprocessedCache.openOrBuild(at: cacheURL, dataset: ds, options: bigger).rebuilt == true)
        #expect(try PreprocessedCache.openOrBuild(at: cacheURL, dataset: ds, options: bigger).rebuilt == false)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000)], ofItemAtPath: ds.samples[0].url.path)
        #expect(try PreprocessedCache.openOrBuild(at: cacheURL, dataset: ds, options: bigger).rebuilt == false)
        try Data(try ImageEncoding.png(gradientImage(width: 9, height: 9))).write(to: ds.samples[0].url)
        #expect(try PreprocessedCache.openOrBuild(at: cacheURL, dataset: ds, options: bigger).rebuilt == true)
        // A damaged file is not trusted.
        try Data("garbage".utf8).write(to: cacheURL)
        #expect(PreprocessedCache.open(cacheURL) == nil)
        // Strict: the bad file throws and no cache is left behind.
        try? FileManager.default.removeItem(at: cacheURL)
        #expect(throws: ImageLoadError.self) { try PreprocessedCache.openOrBuild(at: cacheURL, dataset: ds, options: options, strict: true) }
        #expect(!FileManager.default.fileExists(atPath: cacheURL.path))
        #expect(!FileManager.default.fileExists(atPath: cacheURL.path + ".partial"))
    }

    @Test func datasetStatisticsFromLoaderBatches() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let ds = try makeDataset(dir)
        let loader = ImageLoader(
            dataset: ds, preprocessing: PreprocessOptions(side: 8),
            normalization: .dataset(mean: [Float](repeating: 0, count: 192), std: [Float](repeating: 1, count: 192)), batchSize: 4, threads: 1)
        var accumulator = DatasetStatisticsAccumulator()
        var epoch = loader.batches()
        while let b = try epoch.next() {
            for i in 0..<b.count { accumulator.add(Array(b.data[(i * 192)..<((i + 1) * 192)])) }
        }
        #expect(accumulator.imageCount == 10)
        let norm = try #require(accumulator.normalization())
        #expect(try loader.datasetNormalization() == norm)
        // Statistics for another image size are a settings error, fatal even when not strict.
        var wrongSize = loader
        wrongSize.preprocessing.side = 6
        wrongSize.normalization = norm
        var bad = wrongSize.batches()
        do {
            _ = try bad.next()
            Issue.record("mismatched normalisation accepted")
        } catch {
            #expect(error.reason.category == "settings")
        }
        var normalised = loader
        normalised.normalization = norm
        var e = normalised.batches()
        var all: [Float] = []
        while let b = try e.next() { all += b.data }
        // Per pixel, the normalised training data has mean ≈ 0.
        for p in stride(from: 0, to: 192, by: 17) {
            let mean = (0..<10).reduce(Float(0)) { $0 + all[$1 * 192 + p] } / 10
            #expect(abs(mean) < 1e-3)
        }
    }
}
