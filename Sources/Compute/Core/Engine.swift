import CDNNL
import Parallelism

#if canImport(Glibc)
    import Glibc
#endif

/// An error from the compute core: a failed oneDNN call, a shape mismatch, a non-finite value.
/// The message names the op or tensor and, where it can, what to do.
public struct ComputeError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

@inline(__always)
func dnnlCheck(_ status: dnnl_status_t, _ what: @autoclosure () -> String) throws {
    if status != dnnl_success {
        throw ComputeError("oneDNN failed in \(what()): \(dnnlStatusName(status))")
    }
}

func dnnlStatusName(_ s: dnnl_status_t) -> String {
    switch s {
    case dnnl_out_of_memory: return "out of memory"
    case dnnl_invalid_arguments: return "invalid arguments (a shape or layout the op does not accept)"
    case dnnl_unimplemented: return "no implementation for these shapes/layouts on this CPU"
    case dnnl_iterator_ends: return "iterator ends"
    case dnnl_runtime_error: return "runtime error"
    case dnnl_not_required: return "not required"
    default: return "status \(s.rawValue)"
    }
}

/// The process-wide oneDNN CPU engine and its in-order stream.
///
/// oneDNN's Debian build runs its kernels on OpenMP threads; that pool is the only thread pool
/// the compute core uses. `Engine.setThreads(_:)` sizes it.
public final class Engine: @unchecked Sendable {
    public static let shared = Engine()

    let engine: dnnl_engine_t
    let stream: dnnl_stream_t
    private let lock = Mutex()
    /// One primitive runs at a time: the stream is shared, and each primitive already uses every core
    /// (oneDNN's OpenMP pool), so callers on several threads (e.g. concurrent tests) queue instead of
    /// oversubscribing.
    var executionLock: Mutex { OpenMP.executionLock }
    /// Guards the lazy creation of tensors' oneDNN memory objects.
    let memoryLock = Mutex()
    private var primitives: [String: Primitive] = [:]
    /// The one scratchpad buffer every primitive runs with (guarded by `executionLock`); it only grows.
    private var scratch: Storage? = nil

    /// The shared scratchpad, at least `bytes` long. Call with `executionLock` held.
    func scratchpad(bytes: Int) -> UnsafeMutableRawPointer {
        if let scratch, scratch.byteCount >= bytes { return scratch.pointer }
        let grown = Storage(byteCount: bytes)
        scratch = grown
        return grown.pointer
    }
    private var algorithm: ConvolutionAlgorithm = Engine.fromEnvironment("WBC_CONV_ALGORITHM", default: .auto)
    private var implementation: ConvolutionImplementation =
        Engine.fromEnvironment("WBC_CONV_IMPL", default: Engine.cpuVendor == "AuthenticAMD" && Engine.hasAVX512 ? .jit : .onednn)

    /// The setting named by environment variable `name`, or `fallback` when it is unset or empty; a value that
    /// is not one of the choices is reported on stderr once and ignored.
    private static func fromEnvironment<E: RawRepresentable & CaseIterable>(_ name: String, default fallback: E) -> E
    where E.RawValue == String {
        let (value, warning) = parseSetting(name, getenv(name).map { String(cString: $0) }, default: fallback)
        if let warning { _ = "\(warning)\n".withCString { write(2, $0, strlen($0)) } }
        return value
    }

    /// `fromEnvironment`'s parsing: the choice `raw` names (case-insensitive), or `fallback` with a warning.
    static func parseSetting<E: RawRepresentable & CaseIterable>(
        _ name: String, _ raw: String?, default fallback: E
    )
        -> (E, warning: String?) where E.RawValue == String
    {
        guard let raw, !raw.isEmpty else { return (fallback, nil) }
        if let value = E(rawValue: raw.lowercased()) { return (value, nil) }
        let choices = E.allCases.map(\.rawValue).joined(separator: ", ")
        return (fallback, "wbc: \(name)=\(raw) is not one of \(choices); using \(fallback.rawValue)")
    }

    /// The CPU's vendor string from /proc/cpuinfo (e.g. "AuthenticAMD", "GenuineIntel"), "" if unknown.
    static let cpuVendor: String = {
        guard let f = fopen("/proc/cpuinfo", "r") else { return "" }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), f) != nil {
            let text = String(cString: line)
            guard text.hasPrefix("vendor_id"), let colon = text.firstIndex(of: ":") else { continue }
            return String(text[text.index(after: colon)...].filter { !$0.isWhitespace })
        }
        return ""
    }()

    private init() {
        var e: dnnl_engine_t? = nil
        guard dnnl_engine_create(&e, dnnl_cpu, 0) == dnnl_success, let e else {
            fatalError("oneDNN: could not create the CPU engine (is libdnnl2 installed?)")
        }
        var s: dnnl_stream_t? = nil
        guard dnnl_stream_create(&s, e, dnnl_stream_default_flags.rawValue) == dnnl_success, let s else {
            fatalError("oneDNN: could not create a CPU stream")
        }
        engine = e
        stream = s
    }

    /// Returns the cached primitive for `key`, creating it with `make` on first use.
    func primitive(_ key: String, make: () throws -> dnnl_primitive_desc_t) throws -> Primitive {
        lock.lock()
        defer { lock.unlock() }
        if let p = primitives[key] { return p }
        let pd = try make()
        let p = try Primitive(pd: pd, name: key)
        primitives[key] = p
        return p
    }

    /// Number of cached primitives (for tests and diagnostics).
    public var cachedPrimitiveCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return primitives.count
    }

    /// Sets the number of OpenMP threads oneDNN uses (default: all cores); see `OpenMP`.
    public static func setThreads(_ n: Int) { OpenMP.setThreads(n) }

    /// How 3×3 convolutions are computed (default `.auto`: Winograd where it is faster).
    /// The environment variable `WBC_CONV_ALGORITHM=direct` sets `.direct` at start-up. A change applies to the
    /// primitives looked up afterwards (the algorithm is part of the cache key); weights prepared for the
    /// other algorithm are prepared again.
    public static var convolutionAlgorithm: ConvolutionAlgorithm {
        get {
            shared.lock.lock()
            defer { shared.lock.unlock() }
            return shared.algorithm
        }
        set {
            shared.lock.lock()
            shared.algorithm = newValue
            shared.lock.unlock()
        }
    }

    /// Which of oneDNN's implementations inference convolutions run (default `.jit` on AMD CPUs with AVX-512,
    /// where it was measured faster, `.onednn` elsewhere). The environment variable `WBC_CONV_IMPL=onednn|jit` sets it at
    /// start-up. Like `convolutionAlgorithm`, a change applies to the primitives looked up afterwards.
    public static var convolutionImplementation: ConvolutionImplementation {
        get {
            shared.lock.lock()
            defer { shared.lock.unlock() }
            return shared.implementation
        }
        set {
            shared.lock.lock()
            shared.implementation = newValue
            shared.lock.unlock()
        }
    }

    /// The most bytes of dead tensors' buffers kept for reuse by tensors of the same size (default 1 GiB;
    /// see `BufferPool`). Lowering it releases buffers at once; 0 turns the reuse off.
    public static var bufferPoolLimit: Int {
        get { BufferPool.shared.limitBytes }
        set { BufferPool.shared.limitBytes = newValue }
    }

    /// Bytes currently kept for reuse.
    public static var pooledBufferBytes: Int { BufferPool.shared.pooledBytes }

    /// Gives every kept buffer back to the system, e.g. between stages that use different tensor sizes.
    public static func releasePooledBuffers() { BufferPool.shared.trim() }

    /// Whether oneDNN runs AVX-512 kernels on this CPU (its Winograd convolution needs them).
    static var hasAVX512: Bool {
        let want = dnnl_cpu_isa_avx512_core.rawValue
        return dnnl_get_effective_cpu_isa().rawValue & want == want
    }

    /// The number of threads oneDNN will use.
    public static var threads: Int { OpenMP.threads }
}

/// A oneDNN primitive with its descriptor, created once and reused.
final class Primitive: @unchecked Sendable {
    let pd: dnnl_primitive_desc_t
    let primitive: dnnl_primitive_t
    let name: String

    /// The scratchpad this primitive needs from the caller (user-managed mode; see `withUserScratchpad`).
    let scratchpadDesc: dnnl_memory_desc_t
    let scratchpadBytes: Int

    init(pd: dnnl_primitive_desc_t, name: String) throws {
        var p: dnnl_primitive_t? = nil
        let status = dnnl_primitive_create(&p, pd)
        if status != dnnl_success { dnnl_primitive_desc_destroy(pd) }
        try dnnlCheck(status, "creating primitive \(name)")
        self.pd = pd
        self.primitive = p!
        self.name = name
        scratchpadDesc = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0)?.pointee ?? dnnl_memory_desc_t()
        scratchpadBytes = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0).map { Int(dnnl_memory_desc_get_size($0)) } ?? 0
    }

    /// The memory descriptor the primitive chose for `query` (e.g. `dnnl_query_src_md`).
    func md(_ query: dnnl_query_t, _ index: Int32 = 0) -> dnnl_memory_desc_t {
        dnnl_primitive_desc_query_md(pd, query, index).pointee
    }

    /// The implementation oneDNN picked (e.g. "brgconv:avx512_core").
    var implementation: String { implementationName(pd) }

    /// Executes with the given (argument, tensor) pairs and waits for completion.
    func execute(_ args: [(Int32, Tensor)]) throws {
        var execArgs = args.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.memory) }
        Engine.shared.executionLock.lock()
        defer { Engine.shared.executionLock.unlock() }
        var scratchpadMemory: dnnl_memory_t? = nil
        defer { if let scratchpadMemory { dnnl_memory_destroy(scratchpadMemory) } }
        if scratchpadBytes > 0 {
            var md = scratchpadDesc
            try dnnlCheck(
                dnnl_memory_create(
                    &scratchpadMemory, &md, Engine.shared.engine,
                    Engine.shared.scratchpad(bytes: scratchpadBytes)), "scratchpad for \(name)")
            execArgs.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: scratchpadMemory))
        }
        let status = execArgs.withUnsafeMutableBufferPointer {
            dnnl_primitive_execute(primitive, Engine.shared.stream, Int32($0.count), $0.baseAddress)
        }
        try dnnlCheck(status, "executing \(name)")
        try dnnlCheck(dnnl_stream_wait(Engine.shared.stream), "waiting for \(name)")
    }
}

/// Creates a primitive descriptor from an op descriptor, with optional attributes and forward hint.
/// Every primitive takes its scratchpad from the caller (`withUserScratchpad`).
func makePD<D>(
    _ desc: inout D, attr: dnnl_primitive_attr_t? = nil, hint: dnnl_primitive_desc_t? = nil,
    _ what: String
) throws -> dnnl_primitive_desc_t {
    try withUserScratchpad(attr, what) { attr in
        var pd: dnnl_primitive_desc_t? = nil
        let status = withUnsafePointer(to: &desc) { ptr in
            dnnl_primitive_desc_create(&pd, UnsafeRawPointer(ptr), attr, Engine.shared.engine, hint)
        }
        try dnnlCheck(status, what)
        return pd!
    }
}

/// Like `makePD`, but walks oneDNN's implementations in its own order and takes the first that `prefer`
/// accepts (`preferred`); oneDNN's first choice when none does.
func makePD<D>(
    _ desc: inout D, attr: dnnl_primitive_attr_t? = nil, hint: dnnl_primitive_desc_t? = nil,
    prefer: (String) -> Bool, _ what: String
) throws -> (pd: dnnl_primitive_desc_t, preferred: Bool) {
    try withUserScratchpad(attr, what) { attr in
        var it: dnnl_primitive_desc_iterator_t? = nil
        let status = withUnsafePointer(to: &desc) { ptr in
            dnnl_primitive_desc_iterator_create(&it, UnsafeRawPointer(ptr), attr, Engine.shared.engine, hint)
        }
        try dnnlCheck(status, what)
        defer { dnnl_primitive_desc_iterator_destroy(it) }
        var first: dnnl_primitive_desc_t? = nil
        repeat {
            guard let pd = dnnl_primitive_desc_iterator_fetch(it) else { break }
            if prefer(implementationName(pd)) {
                if let first { dnnl_primitive_desc_destroy(first) }
                return (pd, true)
            }
            if first == nil { first = pd } else { dnnl_primitive_desc_destroy(pd) }
        } while dnnl_primitive_desc_iterator_next(it) == dnnl_success
        guard let first else { throw ComputeError("\(what): oneDNN has no implementation") }
        return (first, false)
    }
}

/// The implementation a primitive descriptor stands for (e.g. "brgconv:avx512_core").
func implementationName(_ pd: dnnl_primitive_desc_t) -> String {
    var s: UnsafePointer<CChar>? = nil
    _ = withUnsafeMutablePointer(to: &s) { dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, $0) }
    return s.map { String(cString: $0) } ?? "?"
}

/// Calls `body` with `attr` (or a fresh attribute) set to the user-managed scratchpad mode.
///
/// Why: with oneDNN's default ("library") mode, a primitive's scratchpad is a thread-local buffer sized
/// on the thread that created the primitive. A primitive created on one thread and run on another (Swift
/// tasks move between threads; tests run in parallel) then reads another thread's buffer, which may be
/// missing or too small: Winograd convolutions crashed that way. With the user mode, `Primitive.execute`
/// passes one engine-wide buffer, which the execution lock already serialises.
func withUserScratchpad<R>(_ attr: dnnl_primitive_attr_t?, _ what: String, _ body: (dnnl_primitive_attr_t) throws -> R) throws -> R {
    if let attr {
        try dnnlCheck(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "scratchpad mode for \(what)")
        return try body(attr)
    }
    var fresh: dnnl_primitive_attr_t? = nil
    try dnnlCheck(dnnl_primitive_attr_create(&fresh), "attribute for \(what)")
    defer { dnnl_primitive_attr_destroy(fresh) }
    try dnnlCheck(dnnl_primitive_attr_set_scratchpad_mode(fresh, dnnl_scratchpad_mode_user), "scratchpad mode for \(what)")
    return try body(fresh!)
}
