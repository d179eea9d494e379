import CDNNL
import Determinism

#if canImport(Glibc)
    import Glibc
#endif

/// Float storage shared by tensors that view the same bytes (e.g. a reshape): a 64-byte aligned buffer from
/// a `BufferPool`, or a range of another storage's bytes (which it keeps alive).
final class Storage: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    let byteCount: Int
    /// Where the buffer goes back to (nil for a view).
    private let pool: BufferPool?
    private let owner: Storage?

    init(byteCount: Int, zeroed: Bool = false, pool: BufferPool = .shared) {
        pointer = pool.allocate(byteCount)
        self.byteCount = byteCount
        self.pool = pool
        owner = nil
        if zeroed { memset(pointer, 0, max(byteCount, 64)) }
    }

    /// `byteCount` bytes of `owner` from `offset`.
    init(viewing owner: Storage, offset: Int, byteCount: Int) {
        precondition(offset >= 0 && offset + byteCount <= owner.byteCount, "storage view out of range (internal error)")
        pointer = owner.pointer + offset
        self.byteCount = byteCount
        pool = nil
        self.owner = owner
    }

    deinit { pool?.release(pointer, bytes: byteCount) }
}

/// An N-dimensional float32 tensor on the CPU.
///
/// Its logical order is row-major (NCHW for images). Its physical layout is the oneDNN memory descriptor
/// in `desc`: either plain row-major, or the blocked layout a primitive chose with `format_tag_any`
/// (e.g. `nChw16c`), which then flows unchanged to the next primitive. Swift-side math and I/O read the
/// plain layout (`plain()`, `toArray()`); elementwise updates of tensors that share one layout (parameters,
/// gradients, optimizer state) run over the raw storage (`withMutableStorage`).
///
/// Tensors are treated as immutable once a primitive has written them, except parameters, gradients and
/// optimizer state, which are updated in place (see `Parameter`), and a dead operand that a fused op is told
/// it may overwrite (`Functional.addReLU(reuseFirst:)`).
public final class Tensor: @unchecked Sendable {
    /// Logical shape, e.g. `[N, C, H, W]`.
    public let shape: [Int]
    /// Physical layout.
    let desc: dnnl_memory_desc_t
    let storage: Storage
    private var _memory: dnnl_memory_t? = nil

    init(shape: [Int], desc: dnnl_memory_desc_t, storage: Storage? = nil, zeroed: Bool = false) {
        self.shape = shape
        self.desc = desc
        self.storage = storage ?? Storage(byteCount: Layout.byteCount(desc), zeroed: zeroed)
    }

    deinit { if let m = _memory { dnnl_memory_destroy(m) } }

    /// The oneDNN memory object over this tensor's bytes (created on first use).
    var memory: dnnl_memory_t {
        Engine.shared.memoryLock.lock()
        defer { Engine.shared.memoryLock.unlock() }
        if let m = _memory { return m }
        var m: dnnl_memory_t? = nil
        var d = desc
        let status = dnnl_memory_create(&m, &d, Engine.shared.engine, storage.pointer)
        precondition(status == dnnl_success, "oneDNN memory object for tensor \(shape) (internal error)")
        _memory = m
        return m!
    }

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// True when the bytes are dense row-major.
    public var isPlain: Bool { Layout.equal(desc, Layout.plain(shape)) }

    /// A human-readable layout name for diagnostics.
    public var layoutDescription: String { isPlain ? "plain" : "blocked(\(Layout.fingerprint(desc)))" }

    // MARK: Creation

    /// A zero-filled plain tensor.
    public static func zeros(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, desc: Layout.plain(shape), zeroed: true)
    }

    /// A plain tensor filled with `value`.
    public static func filled(_ shape: [Int], _ value: Float) -> Tensor {
        let t = Tensor.zeros(shape)
        if value != 0 { t.withMutableValues { for i in $0.indices { $0[i] = value } } }
        return t
    }

    /// A plain tensor holding `values` in row-major order.
    public convenience init(shape: [Int], values: [Float]) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw ComputeError("negative dimension in shape \(shape)") }
        let n = shape.reduce(1, *)
        guard n == values.count else {
            throw ComputeError("shape \(shape) holds \(n) values but \(values.count) were given")
        }
        self.init(shape: shape, desc: Layout.plain(shape))
        values.withUnsafeBytes { src in
            if src.count > 0 { storage.pointer.copyMemory(from: src.baseAddress!, byteCount: src.count) }
        }
    }

    /// Plain tensor from a host tensor.
    public convenience init(_ host: HostTensor) {
        try! self.init(shape: host.shape, values: host.values)
    }

    /// Seeded normal(0, std²) values.
    public static func randomNormal(
        _ shape: [Int], std: Float = 1, mean: Float = 0,
        using rng: inout SeededGenerator
    ) -> Tensor {
        let t = Tensor.zeros(shape)
        t.withMutableValues { for i in $0.indices { $0[i] = mean + std * rng.nextGaussian() } }
        return t
    }

    /// Seeded uniform values in [low, high).
    public static func randomUniform(
        _ shape: [Int], low: Float, high: Float,
        using rng: inout SeededGenerator
    ) -> Tensor {
        let t = Tensor.zeros(shape)
        t.withMutableValues { for i in $0.indices { $0[i] = low + (high - low) * rng.nextUniform() } }
        return t
    }

    // MARK: Layout conversions

    /// Items `range` of the first dimension (e.g. images of a batch), sharing this tensor's bytes. The tensor
    /// must be plain (its items are then contiguous); writes through either show in both.
    func items(_ range: Range<Int>) -> Tensor {
        precondition(
            isPlain && !shape.isEmpty && range.lowerBound >= 0 && range.upperBound <= shape[0],
            "items \(range) of tensor \(shape) (\(layoutDescription)) (internal error)")
        let itemBytes = shape.dropFirst().reduce(4, *)
        let sub = [range.count] + shape.dropFirst()
        return Tensor(
            shape: sub, desc: Layout.plain(sub),
            storage: Storage(viewing: storage, offset: range.lowerBound * itemBytes, byteCount: range.count * itemBytes))
    }

    /// Runs `body` on chunks of at most `size` items of the first dimension and stacks its results (plain).
    /// The chunks share this tensor's bytes when it is plain; each result's chunk is reordered straight into
    /// its place in the output. `body` must give every chunk a result of the same shape past the first dimension.
    public func mapChunks(of size: Int, _ body: (Tensor) throws -> Tensor) throws -> Tensor {
        precondition(size > 0 && !shape.isEmpty, "mapChunks(of: \(size)) on tensor \(shape)")
        let input = plain()
        let n = shape[0]
        var out: Tensor? = nil
        for start in stride(from: 0, to: n, by: size) {
            let range = start..<min(start + size, n)
            let y = try body(input.items(range))
            let itemShape = Array(y.shape.dropFirst())
            guard y.shape.first == range.count, out.map({ Array($0.shape.dropFirst()) == itemShape }) ?? true else {
                let expected = [range.count] + (out.map { Array($0.shape.dropFirst()) } ?? itemShape)
                throw ComputeError("chunks of tensor \(shape): the chunk of items \(range) gave shape \(y.shape), expected \(expected)")
            }
            if out == nil { out = Tensor(shape: [n] + itemShape, desc: Layout.plain([n] + itemShape)) }
            try Reorder.run(from: y, to: out!.items(range))
        }
        guard let out else { throw ComputeError("mapChunks on an empty tensor \(shape)") }
        return out
    }

    /// This tensor in the plain row-major layout (itself when already plain).
    public func plain() -> Tensor {
        if isPlain { return self }
        return try! reordered(to: Layout.plain(shape))
    }

    /// This tensor in the layout `target` (itself when already there).
    func reordered(to target: dnnl_memory_desc_t) throws -> Tensor {
        if Layout.equal(desc, target) { return self }
        let out = Tensor(shape: shape, desc: target)
        try Reorder.run(from: self, to: out)
        return out
    }

    /// Same bytes, new shape. Plain tensors only; element counts must match.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        let n = newShape.reduce(1, *)
        guard n == count else {
            throw ComputeError("cannot reshape tensor of shape \(shape) (\(count) values) to \(newShape) (\(n) values)")
        }
        let p = plain()
        return Tensor(shape: newShape, desc: Layout.plain(newShape), storage: p.storage)
    }

    /// A deep copy in the plain layout.
    public func copy() -> Tensor {
        let p = plain()
        let out = Tensor(shape: shape, desc: Layout.plain(shape))
        // `p` must outlive the read: its buffer goes back to the pool (and to the next tensor) when it dies.
        withExtendedLifetime(p) { out.storage.pointer.copyMemory(from: p.storage.pointer, byteCount: count * 4) }
        return out
    }

    // MARK: Host access (plain layout)

    /// The values in row-major order.
    public func toArray() -> [Float] {
        let p = plain()
        return withExtendedLifetime(p) { Array(UnsafeBufferPointer(start: p.storage.pointer.assumingMemoryBound(to: Float.self), count: count)) }
    }

    /// This tensor as a host tensor.
    public func toHost() -> HostTensor { HostTensor(unchecked: shape, toArray()) }

    /// Read-only access to the plain values.
    public func withValues<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        let p = plain()
        return try withExtendedLifetime(p) { try body(UnsafeBufferPointer(start: p.storage.pointer.assumingMemoryBound(to: Float.self), count: count)) }
    }

    /// In-place access to the values. The tensor must be plain (host-made tensors, most parameters); a trained
    /// convolution weight may be blocked: change it with `Parameter.assign` instead.
    public func withMutableValues<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        precondition(
            isPlain,
            "in-place access to the values of tensor \(shape) needs a plain layout, but it is \(layoutDescription); write it with assign(_:) (or Parameter.assign)"
        )
        return try body(UnsafeMutableBufferPointer(start: storage.pointer.assumingMemoryBound(to: Float.self), count: count))
    }

    /// Copies `other`'s values into this tensor, in this tensor's layout (shapes must match).
    public func assign(_ other: Tensor) throws {
        guard other.shape == shape else {
            throw ComputeError("cannot assign a tensor of shape \(other.shape) to one of shape \(shape)")
        }
        try Reorder.run(from: other, to: self)
    }

    // MARK: Layout-agnostic element access (parameters, gradients and optimizer state)

    /// A zero-filled tensor with this tensor's shape and layout.
    func zerosLike() -> Tensor { Tensor(shape: shape, desc: desc, zeroed: true) }

    /// Every float of the storage in physical order, padding included (zeros in a blocked layout whose
    /// channels are padded). For elementwise math over tensors that share one layout.
    func withStorage<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer.assumingMemoryBound(to: Float.self), count: Layout.byteCount(desc) / 4))
    }

    /// In-place `withStorage`.
    func withMutableStorage<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: storage.pointer.assumingMemoryBound(to: Float.self), count: Layout.byteCount(desc) / 4))
    }

    /// Whether `other` has this tensor's shape and physical layout (so storage-order math lines up).
    func sharesLayout(with other: Tensor) -> Bool { shape == other.shape && Layout.equal(desc, other.desc) }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor\(shape) \(layoutDescription)" }
}

/// Layout conversion between two tensors of the same shape.
enum Reorder {
    static func run(from src: Tensor, to dst: Tensor) throws {
        if Layout.equal(src.desc, dst.desc) {
            dst.storage.pointer.copyMemory(from: src.storage.pointer, byteCount: Layout.byteCount(src.desc))
            return
        }
        let key = "reorder|\(Layout.dims(src.shape))|\(Layout.fingerprint(src.desc))>\(Layout.fingerprint(dst.desc))"
        let p = try Engine.shared.primitive(key) {
            try withUserScratchpad(nil, "reorder of tensor \(src.shape)") { attr in
                var pd: dnnl_primitive_desc_t? = nil
                var s = src.desc
                var d = dst.desc
                try dnnlCheck(
                    dnnl_reorder_primitive_desc_create(&pd, &s, Engine.shared.engine, &d, Engine.shared.engine, attr),
                    "reorder of tensor \(src.shape)")
                return pd!
            }
        }
        try p.execute([(DNNL_ARG_FROM, src), (DNNL_ARG_TO, dst)])
    }
}
