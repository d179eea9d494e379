import Foundation

/// The images of a `POST /api/v1/predictions` body: a raw `image/*` body (its name from `X-File-Name`), or
/// `multipart/form-data` with one or more file parts.
enum UploadedImages {
    static func parse(body: Data, contentType: String?, fileName: String?) throws -> [(name: String, data: Data)] {
        let type = (contentType ?? "").lowercased()
        if type.hasPrefix("multipart/form-data") {
            guard let boundary = parameter("boundary", in: contentType ?? "") else {
                throw APIError(.badRequest, "multipart/form-data without a boundary parameter")
            }
            let files = try MultipartForm.parse(body, boundary: boundary).filter { $0.fileName != nil || !$0.data.isEmpty }
            guard !files.isEmpty else { throw APIError(.badRequest, "the form holds no file; send the images as file fields") }
            return files.enumerated().map { ($0.element.fileName ?? "image-\($0.offset + 1)", $0.element.data) }
        }
        guard !body.isEmpty else {
            throw APIError(.badRequest, "the request has no body; send an image (image/jpeg, image/png, image/bmp) or a multipart form")
        }
        return [(fileName ?? "upload", body)]
    }

    /// A `key=value` parameter of a header value, quotes removed.
    static func parameter(_ key: String, in header: String) -> String? {
        for part in header.split(separator: ";").dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == key {
                return pair[1].hasPrefix("\"") && pair[1].hasSuffix("\"") && pair[1].count >= 2 ? String(pair[1].dropFirst().dropLast()) : pair[1]
            }
        }
        return nil
    }
}

/// A `multipart/form-data` body (RFC 7578) split into its parts.
enum MultipartForm {
    struct Part: Sendable {
        var name: String?
        var fileName: String?
        var contentType: String?
        var data: Data
    }

    /// - Throws: `APIError(.badRequest)` naming what is malformed: no opening boundary, a part without the blank
    ///   line after its headers, no closing boundary.
    static func parse(_ body: Data, boundary: String) throws -> [Part] {
        let bytes = [UInt8](body)
        let delimiter = Array("--\(boundary)".utf8)
        var positions: [Int] = []
        var i = 0
        while let found = find(delimiter, in: bytes, from: i) {
            positions.append(found)
            i = found + delimiter.count
        }
        guard !positions.isEmpty else { throw APIError(.badRequest, "multipart body without its boundary '\(boundary)'") }
        var parts: [Part] = []
        var closed = false
        for (index, start) in positions.enumerated() {
            var cursor = start + delimiter.count
            if cursor + 1 < bytes.count, bytes[cursor] == UInt8(ascii: "-"), bytes[cursor + 1] == UInt8(ascii: "-") {
                closed = true
                break
            }
            guard index + 1 < positions.count else { break }
            if cursor + 1 < bytes.count, bytes[cursor] == 13, bytes[cursor + 1] == 10 { cursor += 2 }
            var end = positions[index + 1]
            if end >= 2, bytes[end - 2] == 13, bytes[end - 1] == 10 { end -= 2 }
            guard cursor <= end, let blank = find([13, 10, 13, 10], in: Array(bytes[cursor..<end]), from: 0) else {
                throw APIError(.badRequest, "multipart part \(parts.count + 1) has no blank line after its headers")
            }
            let headerText = String(decoding: bytes[cursor..<(cursor + blank)], as: UTF8.self)
            var part = Part(data: Data(bytes[(cursor + blank + 4)..<end]))
            for line in headerText.components(separatedBy: "\r\n") {
                let lower = line.lowercased()
                if lower.hasPrefix("content-disposition:") {
                    part.name = UploadedImages.parameter("name", in: line)
                    part.fileName = UploadedImages.parameter("filename", in: line)
                } else if lower.hasPrefix("content-type:") {
                    part.contentType = line.dropFirst("content-type:".count).trimmingCharacters(in: .whitespaces)
                }
            }
            parts.append(part)
        }
        guard closed else { throw APIError(.badRequest, "multipart body ends without its closing boundary '--\(boundary)--' (cut short?)") }
        return parts
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        var i = start
        while i <= haystack.count - needle.count {
            if haystack[i] == needle[0] && Array(haystack[i..<(i + needle.count)]) == needle { return i }
            i += 1
        }
        return nil
    }
}
