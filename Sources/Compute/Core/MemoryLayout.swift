import CDNNL

/// Helpers around oneDNN's `dnnl_memory_desc_t` (a plain struct in the 2.x C API).
enum Layout {
    static func plainTag(rank: Int) -> dnnl_format_tag_t {
        switch rank {
        case 0, 1: return dnnl_a
        case 2: return dnnl_ab
        case 3: return dnnl_abc
        case 4: return dnnl_abcd
        case 5: return dnnl_abcde
        default: return dnnl_abcdef
        }
    }

    /// A dense row-major (NCHW for images) float32 descriptor.
    static func plain(_ shape: [Int]) -> dnnl_memory_desc_t {
        tagged(shape.isEmpty ? [1] : shape, plainTag(rank: max(shape.count, 1)))
    }

    /// "Let the primitive choose" (`format_tag_any`).
    static func any(_ shape: [Int]) -> dnnl_memory_desc_t {
        tagged(shape, dnnl_format_tag_any)
    }

    static func tagged(_ shape: [Int], _ tag: dnnl_format_tag_t) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        let dims = shape.map { Int64($0) }
        let status = dnnl_memory_desc_init_by_tag(&md, Int32(dims.count), dims, dnnl_f32, tag)
        precondition(status == dnnl_success, "memory descriptor for shape \(shape) (internal error)")
        return md
    }

    static func equal(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
        var a = a
        var b = b
        return dnnl_memory_desc_equal(&a, &b) != 0
    }

    static func byteCount(_ md: dnnl_memory_desc_t) -> Int {
        var md = md
        return Int(dnnl_memory_desc_get_size(&md))
    }

    /// A short stable fingerprint of a descriptor's layout, for primitive-cache keys.
    static func fingerprint(_ md: dnnl_memory_desc_t) -> String {
        var md = md
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        withUnsafeBytes(of: &md) { raw in
            for b in raw { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        }
        return String(h, radix: 36)
    }

    static func dims(_ s: [Int]) -> String { s.map(String.init).joined(separator: "x") }
}
