import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Crash-safe file replacement: write a temporary file beside the target, fsync it, rename it over the
/// target, fsync the directory. Readers see either the old file or the complete new one, never a mix.
public enum AtomicFile {
    /// Why the write failed; the previous file, if any, is unchanged.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let message: String
        public var description: String { message }
    }

    /// Replaces the file at `path` with `data` atomically.
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        // mkstemp replaces the six trailing placeholder characters with a unique suffix.
        let placeholder = String(repeating: "X", count: 6)
        var template = Array("\(directory)/.\(url.lastPathComponent).tmp-\(placeholder)".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw Failure(message: "cannot create a temporary file in \(directory) (\(errnoText())); check that the directory exists and is writable")
        }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var succeeded = false
        defer {
            if !succeeded { unlink(temporary) }
        }
        let wroteAll: Bool = data.withUnsafeBytes { raw in
            var written = 0
            while written < raw.count {
                let n = systemWrite(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                written += n
            }
            return true
        }
        guard wroteAll else {
            let reason = errnoText()
            close(fd)
            throw Failure(message: "writing failed (\(reason)); the previous file, if any, is unchanged")
        }
        guard fsync(fd) == 0 else {
            let reason = errnoText()
            close(fd)
            throw Failure(message: "fsync failed (\(reason)); the previous file, if any, is unchanged")
        }
        fchmod(fd, 0o644)
        close(fd)
        guard rename(temporary, path) == 0 else {
            throw Failure(message: "cannot rename the temporary file into place (\(errnoText())); the previous file, if any, is unchanged")
        }
        succeeded = true
        let directoryFD = open(directory, O_RDONLY)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }

    private static func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
            Glibc.write(fd, buffer, count)
        #else
            Darwin.write(fd, buffer, count)
        #endif
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}
