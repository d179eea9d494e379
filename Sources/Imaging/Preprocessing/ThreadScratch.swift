import CTurboJPEG

#if canImport(Glibc)
    import Glibc
#endif

/// Borrowed, read-only view of interleaved RGB8 pixels (`width × height × 3` bytes at `base`).
/// Valid only inside the call that hands it out.
struct PixelView {
    let base: UnsafePointer<UInt8>
    let width: Int
    let height: Int
    var size: ImageSize { ImageSize(width: width, height: height) }
}

/// Per-thread reusable buffers for decoding and resampling, so the per-image hot path does not
/// allocate (and page-fault) half a megabyte of scratch memory for every image.
/// Each buffer only grows; one set exists per thread that has preprocessed an image.
final class ThreadScratch {
    private(set) var floats: UnsafeMutablePointer<Float>
    private(set) var floatCapacity = 0
    private(set) var bytes: UnsafeMutablePointer<UInt8>
    private(set) var byteCapacity = 0
    /// Recently used resampling weights, keyed by (in0, in1, inSize, outSize).
    var weights: [[Int]: Resampler.Weights] = [:]
    private var decompressor: tjhandle?

    /// A TurboJPEG decompressor reused by this thread; `nil` if one cannot be created.
    func jpegDecompressor() -> tjhandle? {
        if decompressor == nil { decompressor = tjInitDecompress() }
        return decompressor
    }

    /// Drops the decompressor after any failed or warned decode (its state is not trusted afterwards).
    func discardJPEGDecompressor() {
        if let d = decompressor { tjDestroy(d) }
        decompressor = nil
    }

    init() {
        floats = .allocate(capacity: 1)
        bytes = .allocate(capacity: 1)
    }

    deinit {
        floats.deallocate()
        bytes.deallocate()
        discardJPEGDecompressor()
    }

    /// At least `count` floats, contents undefined.
    func floatBuffer(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > floatCapacity {
            floats.deallocate()
            floatCapacity = max(count, floatCapacity * 2)
            floats = .allocate(capacity: floatCapacity)
        }
        return floats
    }

    /// At least `count` bytes, contents undefined.
    func byteBuffer(_ count: Int) -> UnsafeMutablePointer<UInt8> {
        if count > byteCapacity {
            bytes.deallocate()
            byteCapacity = max(count, byteCapacity * 2)
            bytes = .allocate(capacity: byteCapacity)
        }
        return bytes
    }

    /// Cached weights for this mapping (at most 16 kept).
    func weights(in0: Int, in1: Int, inSize: Int, outSize: Int) -> Resampler.Weights {
        let key = [in0, in1, inSize, outSize]
        if let w = weights[key] { return w }
        let w = Resampler.Weights(in0: in0, in1: in1, inSize: inSize, outSize: outSize)
        if weights.count >= 16 { weights.removeAll(keepingCapacity: true) }
        weights[key] = w
        return w
    }

    /// This thread's scratch (created on first use, freed when the thread exits).
    static var current: ThreadScratch {
        #if os(Linux)
            if let p = pthread_getspecific(scratchKey) {
                return Unmanaged<ThreadScratch>.fromOpaque(p).takeUnretainedValue()
            }
            let scratch = ThreadScratch()
            pthread_setspecific(scratchKey, Unmanaged.passRetained(scratch).toOpaque())
            return scratch
        #else
            return ThreadScratch()
        #endif
    }
}

#if os(Linux)
    private let scratchKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { p in
            if let p { Unmanaged<ThreadScratch>.fromOpaque(p).release() }
        }
        return key
    }()
#endif
