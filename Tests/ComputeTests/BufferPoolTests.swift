import Testing

@testable import Compute

/// Dead tensors' large buffers are reused for tensors of the same size; the pool stays within its limit,
/// giving back the buffers freed longest ago first. Each test uses its own pool (the shared one serves
/// every test running in parallel).
@Suite("Buffer pool")
struct BufferPoolTests {
    static let mb = 1 << 20

    @Test func largeBuffersAreReusedForTheSameSize() {
        let pool = BufferPool()
        let a = pool.allocate(Self.mb)
        #expect(Int(bitPattern: a) % 64 == 0)
        pool.release(a, bytes: Self.mb)
        #expect(pool.pooledBytes == Self.mb)
        let other = pool.allocate(2 * Self.mb)  // another size: a fresh buffer
        #expect(other != a)
        #expect(pool.allocate(Self.mb - 100) == a)  // the same size once rounded to pages
        #expect(pool.pooledBytes == 0)
        pool.release(a, bytes: Self.mb - 100)
        pool.release(other, bytes: 2 * Self.mb)
        #expect(pool.pooledBytes == 3 * Self.mb)
        pool.trim()
        #expect(pool.pooledBytes == 0)
    }

    @Test func smallBuffersStayWithMalloc() {
        let pool = BufferPool()
        let p = pool.allocate(1000)
        #expect(Int(bitPattern: p) % 64 == 0)
        pool.release(p, bytes: 1000)
        #expect(pool.pooledBytes == 0)
        #expect(BufferPool.roundedSize(1000) == 1024)
        #expect(BufferPool.roundedSize(BufferPool.minimumBytes + 1) == BufferPool.minimumBytes + BufferPool.pageBytes)
    }

    /// Most recently freed first; past the limit the oldest go back to the system.
    @Test func limitEvictsTheOldest() {
        let pool = BufferPool()
        pool.limitBytes = 2 * Self.mb
        let a = pool.allocate(Self.mb)
        let b = pool.allocate(Self.mb)
        let c = pool.allocate(Self.mb)
        pool.release(a, bytes: Self.mb)
        pool.release(b, bytes: Self.mb)
        pool.release(c, bytes: Self.mb)  // a, freed first, makes room
        #expect(pool.pooledBytes == 2 * Self.mb)
        let first = pool.allocate(Self.mb)
        let second = pool.allocate(Self.mb)
        let third = pool.allocate(Self.mb)
        #expect(first == c)
        #expect(second == b)
        #expect(third != b && third != c)
        // A buffer larger than the limit is not kept at all; lowering the limit releases at once.
        let big = pool.allocate(3 * Self.mb)
        pool.release(big, bytes: 3 * Self.mb)
        #expect(pool.pooledBytes == 0)
        for p in [first, second, third] { pool.release(p, bytes: Self.mb) }
        #expect(pool.pooledBytes == 2 * Self.mb)
        pool.limitBytes = Self.mb
        #expect(pool.pooledBytes == Self.mb)
        pool.limitBytes = 0
        #expect(pool.pooledBytes == 0)
    }

    /// A reused buffer holds the dead tensor's bytes: storage asked to be zeroed still starts at zero.
    @Test func zeroedStorageStartsAtZeroOnAReusedBuffer() {
        let pool = BufferPool()
        var dirty: Storage? = Storage(byteCount: Self.mb, pool: pool)
        dirty!.pointer.initializeMemory(as: UInt8.self, repeating: 0x7F, count: Self.mb)
        let address = dirty!.pointer
        dirty = nil  // back to the pool
        #expect(pool.pooledBytes == Self.mb)
        let z = Storage(byteCount: Self.mb, zeroed: true, pool: pool)
        #expect(z.pointer == address, "the dirty buffer was reused")
        let bytes = UnsafeBufferPointer(start: z.pointer.assumingMemoryBound(to: UInt8.self), count: Self.mb)
        #expect(bytes.allSatisfy { $0 == 0 })
        let plain = Storage(byteCount: Self.mb, pool: pool)  // not zeroed, not reused (z holds the buffer)
        #expect(plain.pointer != address)
    }
}
