import Parallelism

#if canImport(Glibc)
    import Glibc
#endif

/// Keeps the large buffers of dead tensors for the next tensor of the same size.
///
/// Why: a training step allocates the same few hundred activation and gradient buffers every step. From
/// malloc, each large one is a fresh `mmap` whose every page faults on first touch (the kernel maps and zeroes
/// it): a ResNet-50 step at 96², batch 16, took 60,000 page faults (240 MB of fresh pages) and ran 18 %
/// slower than with the buffers reused (README, "Speed"). Small buffers stay with malloc, whose bins already
/// reuse them.
///
/// A buffer is reused only for the same size (rounded up to whole pages), most recently freed first (its
/// bytes are the likeliest to be in cache). The pool holds at most `limitBytes`; past that the buffers
/// freed longest ago go back to the system.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()

    /// Buffers smaller than this come from and go back to malloc directly.
    static let minimumBytes = 256 << 10
    static let pageBytes = 4096

    private let lock = Mutex()
    /// Free buffers by size, each list in the order they were freed (oldest first), with their sequence number.
    private var free: [Int: [(sequence: Int, pointer: UnsafeMutableRawPointer)]] = [:]
    private var sequence = 0
    private var limit = 1 << 30
    private var cachedBytes = 0

    init() {}

    deinit { trim() }

    /// Bytes currently kept.
    var pooledBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return cachedBytes
    }

    /// The most bytes the pool keeps (default 1 GiB); lowering it releases buffers at once.
    var limitBytes: Int {
        get {
            lock.lock()
            defer { lock.unlock() }
            return limit
        }
        set {
            lock.lock()
            limit = max(0, newValue)
            evict(toFit: 0)
            lock.unlock()
        }
    }

    /// The size a request is served and pooled at.
    static func roundedSize(_ bytes: Int) -> Int {
        bytes < minimumBytes ? (max(bytes, 64) + 63) & ~63 : (bytes + pageBytes - 1) / pageBytes * pageBytes
    }

    /// A 64-byte-aligned buffer of at least `bytes` bytes (contents undefined).
    func allocate(_ bytes: Int) -> UnsafeMutableRawPointer {
        let size = Self.roundedSize(bytes)
        if size >= Self.minimumBytes {
            lock.lock()
            if let entry = free[size]?.popLast() {
                cachedBytes -= size
                lock.unlock()
                return entry.pointer
            }
            lock.unlock()
        }
        var p: UnsafeMutableRawPointer? = nil
        let alignment = size >= Self.minimumBytes ? Self.pageBytes : 64
        guard posix_memalign(&p, alignment, size) == 0, let p else {
            // fatalError, not precondition: release builds print its message. Commands that know their sizes
            // up front (e.g. `wbc bench`) refuse impossible ones before they get here.
            let gb = (Double(size) / 1e9 * 100).rounded() / 100
            fatalError("out of memory: a tensor buffer of \(gb) GB (\(size) bytes) could not be allocated; use a smaller batch or image size, or free memory")
        }
        return p
    }

    /// Returns a buffer from `allocate(bytes)` (the same `bytes`).
    func release(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        let size = Self.roundedSize(bytes)
        guard size >= Self.minimumBytes else {
            Glibc.free(pointer)
            return
        }
        lock.lock()
        defer { lock.unlock() }
        guard size <= limit else {
            Glibc.free(pointer)
            return
        }
        evict(toFit: size)
        sequence += 1
        free[size, default: []].append((sequence, pointer))
        cachedBytes += size
    }

    /// Frees every pooled buffer.
    func trim() {
        lock.lock()
        defer { lock.unlock() }
        for (_, list) in free { for e in list { Glibc.free(e.pointer) } }
        free = [:]
        cachedBytes = 0
    }

    /// Frees the oldest pooled buffers until `extra` more bytes fit the limit. Call with `lock` held.
    private func evict(toFit extra: Int) {
        while cachedBytes + extra > limit {
            guard let (size, list) = free.min(by: { ($0.value.first?.sequence ?? .max) < ($1.value.first?.sequence ?? .max) }),
                let oldest = list.first
            else { return }
            Glibc.free(oldest.pointer)
            cachedBytes -= size
            if list.count == 1 { free[size] = nil } else { free[size]!.removeFirst() }
        }
    }
}
