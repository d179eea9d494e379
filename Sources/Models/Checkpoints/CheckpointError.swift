import Foundation

/// A PyTorch checkpoint that cannot be read, naming the file and, where known, the tensor.
public struct CheckpointError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Reason: Sendable, Equatable {
        /// Neither a zip archive written by `torch.save` nor a legacy pickle.
        case notACheckpoint
        /// A pre-1.6 (non-zip) `torch.save` file that is damaged: its pickles or storages end early or disagree.
        case legacyMalformed(String)
        /// The zip archive is damaged or truncated.
        case archiveMalformed(String)
        /// A file the format requires (e.g. `data.pkl`, `data/<key>`) is missing from the archive.
        case missingEntry(String)
        /// The pickle program is malformed (bad opcode, stack underflow, truncated, …) at a byte offset.
        case pickleMalformed(offset: Int, detail: String)
        /// The pickle names a global outside the allow-list; nothing was executed.
        case forbiddenGlobal(String)
        /// A resource limit was hit (memo size, nesting, element counts) — hostile or corrupted input.
        case limitExceeded(String)
        /// A tensor's shape, strides and offset reach outside its storage, or the storage is the wrong size.
        case storageMismatch(String)
        /// The pickle is well-formed but does not hold a state dict of tensors.
        case notAStateDict(String)
    }

    /// The checkpoint path (or a label for in-memory data).
    public var file: String
    /// The tensor concerned, when known.
    public var tensor: String?
    /// What went wrong.
    public var reason: Reason

    public init(file: String, tensor: String? = nil, reason: Reason) {
        self.file = file
        self.tensor = tensor
        self.reason = reason
    }

    public var description: String {
        let subject = tensor.map { "\(file): tensor '\($0)'" } ?? file
        switch reason {
        case .notACheckpoint:
            return "\(subject): not a PyTorch checkpoint (expected a zip archive written by torch.save, or a .safetensors file)"
        case .legacyMalformed(let detail):
            return "\(subject): damaged legacy (pre-1.6, non-zip) PyTorch checkpoint (\(detail)); re-download or re-save it"
        case .archiveMalformed(let detail):
            return "\(subject): damaged checkpoint archive (\(detail)); re-download or re-save it"
        case .missingEntry(let path):
            return "\(subject): the archive lacks '\(path)'; it is truncated or not written by torch.save"
        case .pickleMalformed(let offset, let detail):
            return "\(subject): malformed pickle at byte \(offset) (of data.pkl, or of a legacy file): \(detail)"
        case .forbiddenGlobal(let name):
            return """
                \(subject): the pickle references '\(name)', which is not on the allow-list of tensor-rebuilding globals; \
                refusing to load it (nothing was executed). Save only the state dict: torch.save(model.state_dict(), path)
                """
        case .limitExceeded(let detail):
            return "\(subject): \(detail); the file is corrupted or hostile"
        case .storageMismatch(let detail):
            return "\(subject): \(detail)"
        case .notAStateDict(let detail):
            return "\(subject): \(detail); save the weights with torch.save(model.state_dict(), path)"
        }
    }
}

extension CheckpointError {
    /// The bytes of the checkpoint at `url` (memory-mapped where safe), or an error naming the file.
    static func readFile(_ url: URL) throws(CheckpointError) -> Data {
        do {
            return try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw CheckpointError(file: url.path, reason: .archiveMalformed("cannot read the file (\(error.localizedDescription))"))
        }
    }
}
