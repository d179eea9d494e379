/// Small dense kernels on raw row-major float buffers. Callers guarantee every pointer covers `count` elements.
enum DenseKernels {
    /// Σ a[i]·b[i] over `count` floats, accumulated in 32 SIMD lanes.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        let ra = UnsafeRawPointer(a)
        let rb = UnsafeRawPointer(b)
        var acc0 = SIMD16<Float>()
        var acc1 = SIMD16<Float>()
        var i = 0
        while i + 32 <= count {
            acc0 +=
                ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            acc1 +=
                ra.loadUnaligned(fromByteOffset: i * 4 + 64, as: SIMD16<Float>.self)
                * rb.loadUnaligned(fromByteOffset: i * 4 + 64, as: SIMD16<Float>.self)
            i += 32
        }
        if i + 16 <= count {
            acc0 +=
                ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        var sum = (acc0 + acc1).sum()
        while i < count {
            sum += a[i] * b[i]
            i += 1
        }
        return sum
    }

    /// Σ (a[i] − b[i])² over `count` floats.
    @inline(__always)
    static func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        let ra = UnsafeRawPointer(a)
        let rb = UnsafeRawPointer(b)
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            let e =
                ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                - rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            acc += e * e
            i += 16
        }
        var sum = acc.sum()
        while i < count {
            let e = a[i] - b[i]
            sum += e * e
            i += 1
        }
        return sum
    }

    /// y[i] += alpha·x[i] over `count` floats.
    @inline(__always)
    static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        let rx = UnsafeRawPointer(x)
        let ry = UnsafeMutableRawPointer(y)
        let a = SIMD16<Float>(repeating: alpha)
        var i = 0
        while i + 16 <= count {
            let v =
                ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                + a * rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            ry.storeBytes(of: v, toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            y[i] += alpha * x[i]
            i += 1
        }
    }

    /// ‖row‖² for every row of an n×d matrix.
    static func rowSquaredNorms(_ x: UnsafeBufferPointer<Float>, rows n: Int, columns d: Int) -> [Float] {
        guard let base = x.baseAddress else { return [] }
        return (0..<n).map { i in dot(base + i * d, base + i * d, d) }
    }

    /// C (n×m) = A (n×d) · B (d×m), all row-major; rows of C split over `threads`.
    static func multiply(
        _ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, n: Int, d: Int, m: Int, threads: Int
    ) -> [Float] {
        var c = [Float](repeating: 0, count: n * m)
        guard let pa = a.baseAddress, let pb = b.baseAddress else { return c }
        c.withUnsafeMutableBufferPointer { cb in
            let pc = cb.baseAddress!
            Parallel.forEachChunk(count: n, chunks: Parallel.chunkCount(n), threads: threads) { _, rows in
                for i in rows {
                    let ci = pc + i * m
                    let ai = pa + i * d
                    for t in 0..<d { axpy(ai[t], pb + t * m, ci, m) }
                }
            }
        }
        return c
    }

    /// C (d×m) = Aᵀ · B for A (n×d) and B (n×m), row-major; rows of C (columns of A) split over `threads`.
    static func multiplyTransposed(
        _ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, n: Int, d: Int, m: Int, threads: Int
    ) -> [Float] {
        var c = [Float](repeating: 0, count: d * m)
        guard let pa = a.baseAddress, let pb = b.baseAddress else { return c }
        c.withUnsafeMutableBufferPointer { cb in
            let pc = cb.baseAddress!
            Parallel.forEachChunk(count: d, chunks: Parallel.chunkCount(d, maxChunks: 32), threads: threads) { _, cols in
                for i in 0..<n {
                    let ai = pa + i * d
                    let bi = pb + i * m
                    for t in cols { axpy(ai[t], bi, pc + t * m, m) }
                }
            }
        }
        return c
    }
}
