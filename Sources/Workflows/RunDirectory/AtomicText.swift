import Compute
import Foundation

/// Writes text files atomically (temporary file, fsync, rename), so a crash keeps the previous version.
public enum AtomicText {
    public static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }

    public static func write(_ data: Data, to url: URL) throws {
        do {
            try AtomicFile.write(data, to: url.path)
        } catch {
            throw WorkflowError("cannot write \(url.path): \(error). Check free disk space and permissions.")
        }
    }
}
