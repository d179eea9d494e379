import CDNNL

#if canImport(Glibc)
    import Glibc
#endif

/// The program's one thread pool: the OpenMP threads that oneDNN's Debian build runs its kernels on.
///
/// Everything that runs on several cores (oneDNN's primitives, the optimizers' loops, k-means, t-SNE) uses
/// this pool, so the cores are never oversubscribed. The OpenMP entry points are looked up at run time
/// (`dlsym`): without libgomp (another oneDNN build) everything runs on the calling thread.
public enum OpenMP {
    /// One parallel region at a time: oneDNN's primitives and `ParallelFor`'s regions each use every core,
    /// so callers on several threads (concurrent tests, a server) queue here instead of oversubscribing.
    public static let executionLock = Mutex()

    /// Loads oneDNN, and with it its OpenMP runtime, before a symbol of the runtime is looked up.
    private static let runtimeLoaded: Bool = {
        _ = dnnl_get_effective_cpu_isa()
        return true
    }()

    /// The address of the OpenMP runtime's function `name`, if the runtime is loaded.
    static func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        _ = runtimeLoaded
        return dlsym(nil /* RTLD_DEFAULT */, name)
    }

    /// The number of threads a parallel region gets (default: all cores).
    public static var threads: Int {
        typealias GetFn = @convention(c) () -> Int32
        guard let sym = symbol("omp_get_max_threads") else { return 1 }
        return Int(unsafeBitCast(sym, to: GetFn.self)())
    }

    /// Sizes the pool; `n` ≤ 0 leaves it as it is.
    public static func setThreads(_ n: Int) {
        guard n > 0 else { return }
        typealias SetFn = @convention(c) (Int32) -> Void
        if let sym = symbol("omp_set_num_threads") { unsafeBitCast(sym, to: SetFn.self)(Int32(n)) }
    }
}

/// A minimal mutex (pthread), so the lowest modules need no Foundation.
public final class Mutex: @unchecked Sendable {
    private var m = pthread_mutex_t()
    public init() { pthread_mutex_init(&m, nil) }
    deinit { pthread_mutex_destroy(&m) }
    public func lock() { pthread_mutex_lock(&m) }
    public func unlock() { pthread_mutex_unlock(&m) }
}
