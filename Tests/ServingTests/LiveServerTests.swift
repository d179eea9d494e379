import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

@testable import Serving

/// `wbc serve` as a user starts it: the built binary in a child process, on a port of its choosing.
final class ServeProcess: @unchecked Sendable {
    /// The `wbc` binary beside the test bundle, if it was built.
    static let binary: URL? = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("wbc")
        let fallback = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/release/wbc")
        return [beside, fallback].first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    let process = Process()
    private let lines = LineCollector()
    private(set) var port = 0
    var base: URL { URL(string: "http://127.0.0.1:\(port)/")! }

    init(run: String, arguments: [String]) throws {
        process.executableURL = try #require(Self.binary)
        process.arguments = ["serve", "--run", run, "--port", "0"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        lines.read(pipe.fileHandleForReading)
        try process.run()
        // "serving RUN (backbone, k = 4) at http://127.0.0.1:PORT/ in 0.31 s; …"
        let deadline = Date().addingTimeInterval(60)
        while port == 0, Date() < deadline, process.isRunning {
            if let line = lines.all.first(where: { $0.hasPrefix("serving ") }), let range = line.range(of: #"127\.0\.0\.1:\d+"#, options: .regularExpression) {
                port = Int(line[range].split(separator: ":")[1]) ?? 0
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        guard port != 0 else {
            process.terminate()
            throw ProcessFailure("wbc serve did not start within 60 s; it printed: \(lines.all.joined(separator: " | "))")
        }
    }

    /// Sends `signal` and waits for the exit; returns the exit status.
    @discardableResult
    func stop(_ signal: Int32) -> Int32 {
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { if process.isRunning { stop(SIGKILL) } }
}

struct ProcessFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Collects a child's output lines on a background thread.
final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = ""
    var all: [String] { lock.withLock { buffer.split(separator: "\n").map(String.init) } }

    func read(_ handle: FileHandle) {
        Thread.detachNewThread {
            while true {
                let data = handle.availableData
                if data.isEmpty { return }
                self.lock.withLock { self.buffer += String(decoding: data, as: UTF8.self) }
            }
        }
    }
}

/// One HTTP exchange: the status and the body (a failed connection throws). AsyncHTTPClient, not URLSession:
/// FoundationNetworking on Linux refuses chromedriver's headers (no space after the colon).
func exchange(_ url: URL, method: String = "GET", json: Any? = nil, body: Data? = nil, contentType: String? = nil) async throws -> (Int, Data) {
    var request = HTTPClientRequest(url: url.absoluteString)
    request.method = .init(rawValue: method)
    if let json {
        request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: json)))
        request.headers.add(name: "Content-Type", value: "application/json")
    } else if let body {
        request.body = .bytes(ByteBuffer(data: body))
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
    }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
    let data = try await response.body.collect(upTo: 64 << 20)
    return (Int(response.status.code), Data(data.readableBytesView))
}

/// Ids acknowledged with 200, gathered from concurrent clients.
final class Acknowledged: @unchecked Sendable {
    private let lock = NSLock()
    private var ids: [Int] = []
    var all: [Int] { lock.withLock { ids } }
    func add(_ new: [Int]) { lock.withLock { ids += new } }
}

@Suite("wbc serve, live", .serialized)
struct LiveServerTests {
    let served = ServedRun.shared

    /// Killed with SIGKILL while eight clients post images, the server has lost no acknowledged prediction: each
    /// 200 came after its record was committed (SQLite in WAL mode).
    @Test(.enabled(if: ServeProcess.binary != nil, "the wbc binary is not built beside the tests"), .timeLimit(.minutes(3)))
    func killedUnderLoadLosesNoAcknowledgedRecord() async throws {
        let db = served.root.appendingPathComponent("crash-\(UUID()).sqlite").path
        let server = try ServeProcess(run: served.run, arguments: ["--db", db])
        let images = try served.images.prefix(8).map { try Data(contentsOf: $0) }
        let url = server.base.appendingPathComponent("api/v1/predictions")
        let acknowledged = Acknowledged()
        let clients = Task {
            await withTaskGroup(of: Void.self) { group in
                for client in 0..<8 {
                    group.addTask {
                        var n = 0
                        while true {
                            let image = images[(client + n) % images.count]
                            n += 1
                            guard let (status, body) = try? await exchange(url, method: "POST", body: image, contentType: "image/jpeg") else { return }
                            guard status == 200 else { continue }
                            let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any]
                            let ids = (object?["predictions"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } ?? []
                            acknowledged.add(ids)
                        }
                    }
                }
            }
        }
        let start = Date()
        while acknowledged.all.count < 40, Date().timeIntervalSince(start) < 60 { try await Task.sleep(for: .milliseconds(20)) }
        server.stop(SIGKILL)
        await clients.value
        let acked = acknowledged.all
        #expect(acked.count >= 40, "only \(acked.count) predictions were acknowledged before the kill")
        let store = try CaseStore(path: db)
        let missing = try acked.filter { try store.record(id: Int64($0)) == nil }
        #expect(missing.isEmpty, "acknowledged but not in the history: \(missing)")
        // A record can be committed without its answer having gone out, never the other way round.
        #expect(try store.count() >= acked.count)
    }

    /// Images in the request that SIGTERM interrupts: about 15 MB up, a response of about 1 MB down, larger than
    /// the socket takes at once.
    static let inFlight = 1000

    /// SIGTERM while a request is being classified: the request is still answered in full (`CloseAfterWrites`),
    /// then the server exits 0, and what it acknowledged is in the history.
    @Test(.enabled(if: ServeProcess.binary != nil, "the wbc binary is not built beside the tests"), .timeLimit(.minutes(2)))
    func sigtermFinishesTheRequestInFlight() async throws {
        let db = served.root.appendingPathComponent("term-\(UUID()).sqlite").path
        let server = try ServeProcess(run: served.run, arguments: ["--db", db])
        let boundary = "wbc-term"
        var form = Data()
        for i in 0..<Self.inFlight {
            form += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(i).jpeg\"\r\n\r\n".utf8)
            form += try Data(contentsOf: served.images[i % served.images.count]) + Data("\r\n".utf8)
        }
        form += Data("--\(boundary)--\r\n".utf8)
        let body = form
        let base = server.base
        let upload = Task {
            try await exchange(
                base.appendingPathComponent("api/v1/predictions"), method: "POST", body: body, contentType: "multipart/form-data; boundary=\(boundary)")
        }
        // Wait until the images are in the queue, then ask the server to stop. They count there from the moment the
        // upload is parsed (before decoding) until the model has classified all of them (one job): so many that this
        // lasts seconds, and the polling below sees it even on a loaded machine.
        var queued = false
        let deadline = Date().addingTimeInterval(30)
        while !queued, Date() < deadline {
            let (_, metrics) = try await exchange(base.appendingPathComponent("metrics"))
            queued = String(decoding: metrics, as: UTF8.self).contains("wbc_inference_queue_depth \(Self.inFlight)")
        }
        #expect(queued, "the upload never reached the queue")
        kill(server.process.processIdentifier, SIGTERM)
        let (status, answer) = try await upload.value
        #expect(status == 200)
        let items = (try JSONSerialization.jsonObject(with: answer) as? [String: Any])?["predictions"] as? [[String: Any]]
        #expect(items?.count == Self.inFlight)
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 0)
        #expect(try CaseStore(path: db).count() == Self.inFlight)
    }
}
