/// Element types of the safetensors format (the strings used in its JSON header).
///
/// PyTorch checkpoint storages map onto the same cases, so that one conversion path serves both formats.
public enum SafeTensorsDType: String, Sendable, CaseIterable, Equatable {
    case F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .F64, .I64: 8
        case .F32, .I32: 4
        case .F16, .BF16, .I16: 2
        case .I8, .U8, .BOOL: 1
        }
    }

    /// Whether values convert to float32 (F64, F32, F16, BF16). Integer weights are refused by float readers.
    public var isFloatingPoint: Bool {
        switch self {
        case .F64, .F32, .F16, .BF16: true
        default: false
        }
    }

    /// Whether values convert to Int64 (I64, I32, I16, I8, U8, BOOL).
    public var isInteger: Bool { !isFloatingPoint }
}

extension SafeTensorsDType {
    /// Decodes `count` little-endian elements starting at `byteOffset` of `bytes` into float32.
    /// The caller has checked that the range is in bounds and that `isFloatingPoint` holds.
    static func decodeFloats(
        _ bytes: UnsafeRawBufferPointer, byteOffset: Int, count: Int,
        as dtype: SafeTensorsDType, bigEndian: Bool = false
    ) -> [Float] {
        let size = dtype.byteSize
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            for i in 0..<count {
                let at = byteOffset + i * size
                switch dtype {
                case .F32:
                    out[i] = Float(bitPattern: RawBytes.uint32(bytes, at, bigEndian))
                case .F16:
                    out[i] = FloatBits.float(fromFloat16Bits: RawBytes.uint16(bytes, at, bigEndian))
                case .BF16:
                    out[i] = FloatBits.float(fromBFloat16Bits: RawBytes.uint16(bytes, at, bigEndian))
                case .F64:
                    out[i] = Float(Double(bitPattern: RawBytes.uint64(bytes, at, bigEndian)))
                default:
                    out[i] = 0
                }
            }
            initialized = count
        }
    }

    /// Decodes `count` little-endian integer elements into Int64 (caller checked bounds and `isInteger`).
    static func decodeIntegers(
        _ bytes: UnsafeRawBufferPointer, byteOffset: Int, count: Int,
        as dtype: SafeTensorsDType, bigEndian: Bool = false
    ) -> [Int64] {
        let size = dtype.byteSize
        return [Int64](unsafeUninitializedCapacity: count) { out, initialized in
            for i in 0..<count {
                let at = byteOffset + i * size
                switch dtype {
                case .I64: out[i] = Int64(bitPattern: RawBytes.uint64(bytes, at, bigEndian))
                case .I32: out[i] = Int64(Int32(bitPattern: RawBytes.uint32(bytes, at, bigEndian)))
                case .I16: out[i] = Int64(Int16(bitPattern: RawBytes.uint16(bytes, at, bigEndian)))
                case .I8: out[i] = Int64(Int8(bitPattern: bytes[at]))
                case .U8: out[i] = Int64(bytes[at])
                case .BOOL: out[i] = bytes[at] == 0 ? 0 : 1
                default: out[i] = 0
                }
            }
            initialized = count
        }
    }
}

/// Little-endian (or big-endian) loads from raw bytes at unaligned offsets. Callers check bounds.
enum RawBytes {
    @inline(__always)
    static func uint16(_ b: UnsafeRawBufferPointer, _ at: Int, _ bigEndian: Bool = false) -> UInt16 {
        let v = b.loadUnaligned(fromByteOffset: at, as: UInt16.self)
        return bigEndian ? UInt16(bigEndian: v) : UInt16(littleEndian: v)
    }
    @inline(__always)
    static func uint32(_ b: UnsafeRawBufferPointer, _ at: Int, _ bigEndian: Bool = false) -> UInt32 {
        let v = b.loadUnaligned(fromByteOffset: at, as: UInt32.self)
        return bigEndian ? UInt32(bigEndian: v) : UInt32(littleEndian: v)
    }
    @inline(__always)
    static func uint64(_ b: UnsafeRawBufferPointer, _ at: Int, _ bigEndian: Bool = false) -> UInt64 {
        let v = b.loadUnaligned(fromByteOffset: at, as: UInt64.self)
        return bigEndian ? UInt64(bigEndian: v) : UInt64(littleEndian: v)
    }
}

extension SafeTensorsDType {
    /// Converts raw bytes holding `bytes.count / byteSize` elements of this (floating-point) dtype to float32.
    /// Returns nil for an integer dtype or a byte count that is not a multiple of `byteSize`.
    public func floats(fromRawBytes bytes: [UInt8], bigEndian: Bool = false) -> [Float]? {
        guard isFloatingPoint, bytes.count % byteSize == 0 else { return nil }
        return bytes.withUnsafeBytes {
            Self.decodeFloats($0, byteOffset: 0, count: bytes.count / byteSize, as: self, bigEndian: bigEndian)
        }
    }

    /// Converts raw bytes of this (integer) dtype to Int64; nil for a float dtype or a ragged byte count.
    public func integers(fromRawBytes bytes: [UInt8], bigEndian: Bool = false) -> [Int64]? {
        guard isInteger, bytes.count % byteSize == 0 else { return nil }
        return bytes.withUnsafeBytes {
            Self.decodeIntegers($0, byteOffset: 0, count: bytes.count / byteSize, as: self, bigEndian: bigEndian)
        }
    }
}
