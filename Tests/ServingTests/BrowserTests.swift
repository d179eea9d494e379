import Foundation
import Testing
import Workflows

@testable import Serving

/// The few WebDriver commands (W3C protocol, JSON over HTTP) the browser test needs, spoken to chromedriver.
struct WebDriver {
    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"
    let session: URL

    /// Starts a headless Chromium session.
    static func start(driver: URL, chromium: String) async throws -> WebDriver {
        let capabilities: [String: Any] = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome",
                    "goog:chromeOptions": [
                        "binary": chromium,
                        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1400"],
                    ],
                ]
            ]
        ]
        let value = try await command(driver.appendingPathComponent("session"), "POST", capabilities)
        guard let id = (value as? [String: Any])?["sessionId"] as? String else {
            throw ProcessFailure("chromedriver started no session: \(value ?? "nothing")")
        }
        return WebDriver(session: driver.appendingPathComponent("session/\(id)"))
    }

    /// One command; its `value`, or the driver's error.
    @discardableResult
    static func command(_ url: URL, _ method: String, _ body: [String: Any]? = nil) async throws -> Any? {
        let (status, data) = try await exchange(url, method: method, json: body ?? (method == "POST" ? [:] : nil))
        let value = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["value"]
        guard status == 200 else {
            let message = (value as? [String: Any])?["message"] as? String ?? String(decoding: data.prefix(300), as: UTF8.self)
            throw ProcessFailure("WebDriver \(method) \(url.path): \(status) \(message)")
        }
        return value
    }

    @discardableResult
    func command(_ path: String, _ method: String = "POST", _ body: [String: Any]? = nil) async throws -> Any? {
        try await Self.command(path.isEmpty ? session : session.appendingPathComponent(path), method, body)
    }

    func open(_ url: URL) async throws { try await command("url", "POST", ["url": url.absoluteString]) }

    /// The elements a CSS selector finds now.
    func elements(_ css: String) async throws -> [String] {
        let value = try await command("elements", "POST", ["using": "css selector", "value": css])
        return (value as? [[String: Any]] ?? []).compactMap { $0[Self.elementKey] as? String }
    }

    /// The first element the selector finds, waiting up to `seconds` for it.
    func wait(for css: String, seconds: Double = 60) async throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let first = try await elements(css).first { return first }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw ProcessFailure("nothing matched '\(css)' within \(seconds) s")
    }

    func text(_ element: String) async throws -> String { try await command("element/\(element)/text", "GET") as? String ?? "" }
    func click(_ element: String) async throws { try await command("element/\(element)/click") }
    func type(_ text: String, into element: String) async throws { try await command("element/\(element)/value", "POST", ["text": text]) }
    func screenshot() async throws -> Data { Data(base64Encoded: try await command("screenshot", "GET") as? String ?? "") ?? Data() }
    func quit() async { _ = try? await command("", "DELETE") }
}

/// A port no one listens on now (the kernel's choice), for chromedriver.
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var size = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) == 0 && getsockname(fd, $0, &size) == 0 }
    }
    guard bound else { throw ProcessFailure("no free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

@Suite("wbc serve in a browser", .serialized)
struct BrowserTests {
    let served = ServedRun.shared
    static let chromedriver = executableOnPath("chromedriver")
    static let chromium = executableOnPath("chromium") ?? executableOnPath("chromium-browser")
    /// A real Kaggle cell when the data is here (`../shared/data`), else one of the test run's images.
    static let kaggleImage: URL? = {
        let folder = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            .appendingPathComponent("../shared/data/blood-cells/dataset2-master/images/TEST/MONOCYTE").standardized
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.filter { $0.hasSuffix(".jpeg") }.sorted()
        return names?.first.map { folder.appendingPathComponent($0) }
    }()

    /// Headless Chromium opens the page, uploads a cell through the file input, sees the model's verdict and the
    /// nearest training cells, records a reviewer's verdict and finds it in the history; the screenshot is kept in
    /// `.build/test-artifacts/serve-page.png`.
    @Test(
        .enabled(if: ServeProcess.binary != nil, "the wbc binary is not built beside the tests"),
        .enabled(if: chromedriver != nil && chromium != nil, "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"),
        .timeLimit(.minutes(3)))
    func pageClassifiesReviewsAndListsACell() async throws {
        let db = served.root.appendingPathComponent("browser-\(UUID()).sqlite").path
        let server = try ServeProcess(run: served.run, arguments: ["--db", db])
        let image = Self.kaggleImage ?? served.images[5]
        let port = try freePort()
        let driverProcess = Process()
        driverProcess.executableURL = URL(fileURLWithPath: try #require(Self.chromedriver))
        driverProcess.arguments = ["--port=\(port)"]
        let driverLog = Pipe()
        driverProcess.standardOutput = driverLog
        driverProcess.standardError = driverLog
        let driverLines = LineCollector()
        driverLines.read(driverLog.fileHandleForReading)
        try driverProcess.run()
        defer { driverProcess.terminate() }
        let driverURL = URL(string: "http://127.0.0.1:\(port)/")!
        var answer = "nothing"
        for _ in 0..<100 where answer != "200" {
            do { answer = String(try await exchange(driverURL.appendingPathComponent("status")).0) } catch { answer = "\(error)" }
            if answer != "200" { try await Task.sleep(for: .milliseconds(100)) }
        }
        guard answer == "200" else {
            try Test.cancel("chromedriver did not answer on port \(port) (\(answer)): \(driverLines.all.joined(separator: " | "))")
        }
        let browser: WebDriver
        do { browser = try await WebDriver.start(driver: driverURL, chromium: try #require(Self.chromium)) } catch {
            try Test.cancel("Chromium cannot start here: \(error)")
        }
        do {
            try await browser.open(server.base)
            _ = try await browser.wait(for: "#type option:nth-child(2)")  // the model is described, its types listed
            try await browser.type(image.path, into: try await browser.wait(for: "#files"))
            let verdict = try await browser.text(try await browser.wait(for: ".card .verdict"))
            #expect(verdict.contains("confidence"), "\(verdict)")
            #expect(try await browser.elements(".card .bar").count == 4)
            _ = try await browser.wait(for: ".nearest img[src^='blob:']")
            #expect(try await browser.elements(".nearest figure").count == CellClassifier.nearestCount)
            // The reviewer disagrees: picks the last type in the list, records it, and the history shows it.
            let options = try await browser.elements(".card select.reviewed option")
            let chosen = try await browser.text(try #require(options.last))
            try await browser.click(try #require(options.last))
            try await browser.click(try await browser.wait(for: ".card button.save"))
            let saved = try await browser.wait(for: ".card .saved")
            let deadline = Date().addingTimeInterval(30)
            while try await browser.text(saved).isEmpty, Date() < deadline { try await Task.sleep(for: .milliseconds(100)) }
            #expect(try await browser.text(saved).contains("recorded: \(chosen)"))
            let row = try await browser.wait(for: "#history tr")
            let rowText = try await browser.text(row)
            #expect(rowText.contains(image.lastPathComponent) && rowText.hasSuffix(chosen), "\(rowText)")
            let png = try await browser.screenshot()
            let artifacts = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/test-artifacts")
            try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
            try png.write(to: artifacts.appendingPathComponent("serve-page.png"))
            #expect(Array(png.prefix(4)) == [0x89, 0x50, 0x4E, 0x47] && png.count > 20_000, "screenshot of \(png.count) bytes")
        } catch {
            await browser.quit()
            throw error
        }
        await browser.quit()
        server.stop(SIGTERM)
        let records = try CaseStore(path: db).list(limit: 10, offset: 0).records
        #expect(records.count == 1 && records.first?.fileName == image.lastPathComponent)
        #expect(records.first?.reviewedType != nil)
    }
}

/// The path of an executable called `name` on the PATH, if any.
func executableOnPath(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}
