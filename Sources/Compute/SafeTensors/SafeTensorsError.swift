/// A safetensors file that cannot be read or written, naming the file and, where known, the tensor.
public struct SafeTensorsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Reason: Sendable, Equatable {
        /// The file is shorter than its 8-byte header length says (or than 8 bytes).
        case truncated(expectedBytes: UInt64, actualBytes: Int)
        /// The header length field is implausible (zero or over the limit).
        case headerLengthInvalid(UInt64)
        /// The header is not the JSON object the format prescribes.
        case headerMalformed(String)
        /// A tensor's dtype string is not a safetensors dtype.
        case unknownDType(String)
        /// A tensor entry has a malformed `shape` or `data_offsets`.
        case entryMalformed(String)
        /// `data_offsets` extend past the end of the file's data section.
        case offsetsOutOfBounds(begin: Int, end: Int, dataBytes: Int)
        /// Two tensors' byte ranges overlap.
        case overlapping(other: String)
        /// The byte range does not hold `product(shape) × dtype size` bytes.
        case byteCountMismatch(expected: Int, actual: Int)
        /// A float tensor was asked for but the file stores an integer dtype (or the reverse).
        case wrongKind(dtype: SafeTensorsDType, expected: String)
        /// No tensor of that name.
        case missingTensor
        /// Writing: the tensor's shape and value count disagree, or a name is invalid.
        case invalidTensor(String)
        /// An operating-system call failed while reading or writing.
        case io(String)
    }

    /// The file path (or a label for in-memory data).
    public var file: String
    /// The tensor concerned, when the problem is about one tensor.
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
        case .truncated(let expected, let actual):
            return "\(subject): truncated safetensors file (needs at least \(expected) bytes, has \(actual)); re-copy or re-export it"
        case .headerLengthInvalid(let length):
            return "\(subject): header length \(length) is not plausible; this is not a safetensors file or it is corrupted"
        case .headerMalformed(let detail):
            return "\(subject): malformed safetensors header: \(detail)"
        case .unknownDType(let dtype):
            return "\(subject): unknown dtype '\(dtype)' (known: \(SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .entryMalformed(let detail):
            return "\(subject): malformed header entry: \(detail)"
        case .offsetsOutOfBounds(let begin, let end, let dataBytes):
            return "\(subject): data_offsets [\(begin), \(end)] lie outside the \(dataBytes)-byte data section; the file is truncated or corrupted"
        case .overlapping(let other):
            return "\(subject): its bytes overlap those of tensor '\(other)'; the file is corrupted"
        case .byteCountMismatch(let expected, let actual):
            return "\(subject): shape and dtype need \(expected) bytes but data_offsets give \(actual)"
        case .wrongKind(let dtype, let expected):
            return
                "\(subject): stored as \(dtype.rawValue), but \(expected) values are expected here; convert the checkpoint (e.g. tensor.float()) before saving"
        case .missingTensor:
            return "\(subject): not found in the file"
        case .invalidTensor(let detail):
            return "\(subject): cannot be written: \(detail)"
        case .io(let detail):
            return "\(subject): \(detail)"
        }
    }
}
