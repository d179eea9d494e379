import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// An official torchvision checkpoint: where to fetch it and the SHA-256 prefix its file name carries
/// (`resnet50-0676ba61.pth` → the digest starts with `0676ba61`).
public struct PretrainedWeights: Sendable, Equatable {
    /// torchvision's weight generations: v1 = the original ImageNet recipe, v2 = the 2021 improved recipe.
    public enum Variant: String, Sendable, CaseIterable {
        case v1, v2
    }

    /// The architecture the file holds.
    public var arch: ResNetDepth
    /// Which generation.
    public var variant: Variant
    /// Download address.
    public var url: URL
    /// Expected leading hex digits of the file's SHA-256.
    public var sha256Prefix: String

    /// The file name (last path component of `url`).
    public var fileName: String { url.lastPathComponent }

    public init(arch: ResNetDepth, variant: Variant, url: URL, sha256Prefix: String) {
        self.arch = arch
        self.variant = variant
        self.url = url
        self.sha256Prefix = sha256Prefix.lowercased()
    }

    /// torchvision's published file for `arch` and `variant`, or nil when torchvision has none.
    public static func torchvision(_ arch: ResNetDepth, variant: Variant = .v1) -> PretrainedWeights? {
        let file: String
        switch (arch, variant) {
        case (.resnet18, .v1): file = "resnet18-f37072fd.pth"
        case (.resnet34, .v1): file = "resnet34-b627a593.pth"
        case (.resnet50, .v1): file = "resnet50-0676ba61.pth"
        case (.resnet50, .v2): file = "resnet50-11ad3fa6.pth"
        default: return nil
        }
        guard let url = URL(string: "https://download.pytorch.org/models/\(file)") else { return nil }
        let prefix = file.split(separator: "-").last.map { String($0.dropLast(".pth".count)) } ?? ""
        return PretrainedWeights(arch: arch, variant: variant, url: url, sha256Prefix: prefix)
    }
}

/// A download that failed or did not verify, with what to do instead.
public struct WeightDownloadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The weights being fetched.
    public var weights: PretrainedWeights
    /// What happened.
    public var detail: String
    /// Where the file was meant to go.
    public var directory: String

    public var description: String {
        let file = "\(directory)/\(weights.fileName)"
        let out = "\(directory)/\(weights.arch.rawValue)-\(weights.variant.rawValue).safetensors"
        return """
            cannot download \(weights.url.absoluteString): \(detail).
            If this machine is offline, fetch the file on one with internet access:
              curl -LO \(weights.url.absoluteString)
              sha256sum \(weights.fileName)   # must start with \(weights.sha256Prefix)
            copy it to \(file), then import it as \(weights.arch.rawValue) into \(out)
            (on the command line: `weights import` with the file, its architecture and the output).
            """
    }
}

/// Fetching torchvision checkpoints over HTTPS, verifying them and importing them.
public enum WeightDownload {
    /// The files a successful download leaves behind.
    public struct Result: Sendable {
        /// The verified `.pth` file.
        public var checkpoint: URL
        /// The imported safetensors file in torchvision names.
        public var safetensors: URL
        /// The import's findings.
        public var report: ImportReport
        /// False when a verified file was already in the directory.
        public var downloaded: Bool
    }

    /// Downloads `weights` into `directory` (unless a verified copy is there), checks its SHA-256 prefix,
    /// imports it and writes `<arch>-<variant>.safetensors` beside it.
    /// - Parameter timeout: seconds to wait for the server before giving up (fails fast when offline).
    /// - Throws: `WeightDownloadError` (with instructions for offline machines), or the import's errors.
    public static func fetch(_ weights: PretrainedWeights, into directory: URL, timeout: TimeInterval = 15) throws -> Result {
        func failure(_ detail: String) -> WeightDownloadError {
            WeightDownloadError(weights: weights, detail: detail, directory: directory.path)
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw failure("cannot create the directory (\(error.localizedDescription))")
        }
        let checkpoint = directory.appendingPathComponent(weights.fileName)
        var downloaded = false
        if let existing = try? Data(contentsOf: checkpoint), verify(existing, prefix: weights.sha256Prefix) {
            // A verified copy is already here: no network needed.
        } else {
            let data = try get(weights.url, timeout: timeout, failure: failure)
            guard verify(data, prefix: weights.sha256Prefix) else {
                throw failure("SHA-256 \(SHA256.hash(data).hex.prefix(16))… does not start with \(weights.sha256Prefix); the download is corrupted")
            }
            do {
                try data.write(to: checkpoint, options: .atomic)
            } catch {
                throw failure("cannot write \(checkpoint.path) (\(error.localizedDescription))")
            }
            downloaded = true
        }
        let report = try WeightImport.importResNet(from: checkpoint, arch: weights.arch)
        let safetensors = directory.appendingPathComponent("\(weights.arch.rawValue)-\(weights.variant.rawValue).safetensors")
        try report.save(to: safetensors)
        return Result(checkpoint: checkpoint, safetensors: safetensors, report: report, downloaded: downloaded)
    }

    /// Whether the SHA-256 of `data` starts with `prefix` (hex, case-insensitive); an empty prefix never verifies.
    public static func verify(_ data: Data, prefix: String) -> Bool {
        !prefix.isEmpty && SHA256.hash(data).hex.hasPrefix(prefix.lowercased())
    }

    private static func get(
        _ url: URL, timeout: TimeInterval,
        failure: (String) -> WeightDownloadError
    ) throws -> Data {
        if url.isFileURL {  // a local mirror; URLSession on Linux does not serve file:// URLs
            do {
                return try Data(contentsOf: url)
            } catch {
                throw failure("cannot read \(url.path) (\(error.localizedDescription))")
            }
        }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = max(timeout, 1800)
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let box = ResponseBox()
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: url) { data, response, error in
            box.set(data: data, response: response, error: error)
            done.signal()
        }
        task.resume()
        done.wait()
        let (data, response, error) = box.get()
        if let error { throw failure(error.localizedDescription) }
        if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
            throw failure("the server answered HTTP \(http.statusCode)")
        }
        guard let data, !data.isEmpty else { throw failure("the server sent no data") }
        return data
    }

    /// Carries the completion handler's values back to the waiting thread.
    private final class ResponseBox: @unchecked Sendable {
        private let lock = NSLock()
        private var data: Data?
        private var response: URLResponse?
        private var error: Error?

        func set(data: Data?, response: URLResponse?, error: Error?) {
            lock.lock()
            defer { lock.unlock() }
            (self.data, self.response, self.error) = (data, response, error)
        }

        func get() -> (Data?, URLResponse?, Error?) {
            lock.lock()
            defer { lock.unlock() }
            return (data, response, error)
        }
    }
}
