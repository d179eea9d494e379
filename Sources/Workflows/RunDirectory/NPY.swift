import Foundation

/// NumPy `.npy` (format 1.0) for float32 matrices, readable by `numpy.load`.
public enum NPY {
    /// Encodes `values` (row-major) with `shape` as a little-endian float32 array.
    public static func encode(_ values: [Float], shape: [Int]) -> Data {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"
        // Magic (6) + version (2) + length (2) + header + newline must be a multiple of 64.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let n = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(n & 0xFF), UInt8(n >> 8)])
        data.append(contentsOf: Array(header.utf8))
        values.withUnsafeBytes { data.append(contentsOf: $0) }
        return data
    }

    /// Reads a float32 `.npy` written by `encode` (or NumPy with dtype `<f4`, C order).
    public static func decode(_ data: Data) throws -> (values: [Float], shape: [Int]) {
        let bytes = [UInt8](data.prefix(10))
        guard bytes.count == 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8), bytes[6] == 1 else {
            throw WorkflowError("not a NumPy .npy file (version 1)")
        }
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        guard data.count >= 10 + headerLength,
            let header = String(data: data.subdata(in: 10..<(10 + headerLength)), encoding: .ascii),
            header.contains("'<f4'"), header.contains("'fortran_order': False"),
            let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")")
        else {
            throw WorkflowError(".npy header is not a C-ordered float32 array")
        }
        let shape = header[open.upperBound..<close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let count = shape.reduce(1, *)
        let body = data.subdata(in: (10 + headerLength)..<data.count)
        guard body.count == count * 4 else { throw WorkflowError(".npy holds \(body.count) bytes, shape \(shape) needs \(count * 4)") }
        let values = body.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        return (values, shape)
    }
}
