import Foundation

/// Writes safetensors files: deterministic bytes (tensors sorted by name, header padded with spaces to a
/// multiple of 8 bytes), float tensors as F32, integer tensors as I64, and `__metadata__` strings.
///
/// ```swift
/// try SafeTensorsWriter.write(floats: ["fc.weight": w], integers: ["bn1.num_batches_tracked": n],
///                             metadata: ["arch": "resnet50"], to: url)
/// ```
public enum SafeTensorsWriter {
    /// The file's bytes. Names must be non-empty, unique across both maps and not `__metadata__`.
    /// - Throws: `SafeTensorsError.Reason.invalidTensor` for a bad name or a shape/value-count mismatch.
    public static func encode(
        floats: [String: HostTensor], integers: [String: HostIntegerTensor] = [:],
        metadata: [String: String] = [:], file: String = "<memory>"
    ) throws -> Data {
        var items: [(name: String, dtype: SafeTensorsDType, shape: [Int], count: Int)] = []
        for (name, tensor) in floats {
            items.append((name, .F32, tensor.shape, try checkedCount(name, tensor.shape, tensor.values.count, file)))
        }
        for (name, tensor) in integers {
            guard floats[name] == nil else {
                throw SafeTensorsError(file: file, tensor: name, reason: .invalidTensor("the name is used by a float and an integer tensor"))
            }
            items.append((name, .I64, tensor.shape, try checkedCount(name, tensor.shape, tensor.values.count, file)))
        }
        items.sort { $0.name < $1.name }

        var header = "{"
        var parts: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(JSONText.quoted($0)):\(JSONText.quoted(metadata[$0]!))" }
            parts.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for item in items {
            let bytes = item.count * item.dtype.byteSize
            let shape = item.shape.map(String.init).joined(separator: ",")
            parts.append(
                "\(JSONText.quoted(item.name)):{\"dtype\":\"\(item.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        header += parts.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }  // spaces: allowed trailing JSON whitespace

        var out = Data(capacity: 8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: headerBytes)
        for item in items {
            if item.dtype == .F32, let tensor = floats[item.name] {
                appendLittleEndian(tensor.values, to: &out)
            } else if let tensor = integers[item.name] {
                appendLittleEndian(tensor.values, to: &out)
            }
        }
        return out
    }

    /// Encodes and writes atomically to `url`: a temporary file in the same directory is written, synced
    /// and renamed over `url`, so a failed write leaves any previous file intact.
    public static func write(
        floats: [String: HostTensor], integers: [String: HostIntegerTensor] = [:],
        metadata: [String: String] = [:], to url: URL
    ) throws {
        let bytes = try encode(floats: floats, integers: integers, metadata: metadata, file: url.path)
        do {
            try AtomicFile.write(bytes, to: url.path)
        } catch let error as AtomicFile.Failure {
            throw SafeTensorsError(file: url.path, reason: .io(error.message))
        }
    }

    /// Appends the values' bytes in little-endian order (a straight copy on little-endian hosts).
    private static func appendLittleEndian<T: FixedWidthInteger>(_ values: [T], to out: inout Data) {
        #if _endian(little)
            values.withUnsafeBytes { out.append(contentsOf: $0) }
        #else
            for value in values { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        #endif
    }

    private static func appendLittleEndian(_ values: [Float], to out: inout Data) {
        #if _endian(little)
            values.withUnsafeBytes { out.append(contentsOf: $0) }
        #else
            for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        #endif
    }

    private static func checkedCount(_ name: String, _ shape: [Int], _ valueCount: Int, _ file: String) throws -> Int {
        guard !name.isEmpty, name != "__metadata__" else {
            throw SafeTensorsError(file: file, tensor: name, reason: .invalidTensor("the name must be non-empty and not __metadata__"))
        }
        guard let count = HostTensor.elementCount(of: shape), count == valueCount else {
            throw SafeTensorsError(file: file, tensor: name, reason: .invalidTensor("shape \(shape) does not match \(valueCount) values"))
        }
        return count
    }
}
