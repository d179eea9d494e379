import Compute
import Testing

@testable import Models

@Suite("restricted unpickler")
struct RestrictedUnpicklerTests {
    typealias F = CheckpointFixtures

    private func run(_ program: [UInt8], limits: RestrictedUnpickler.Limits = .init()) throws -> String {
        try RestrictedUnpickler.load(program, file: "t.pkl", limits: limits) { value in
            switch value {
            case .int(let n): return "int \(n)"
            case .string(let s): return "str \(s)"
            case .list(let l): return "list \(l.items.count)"
            case .dict(let d): return "dict \(d.entries.count)"
            case .float(let x): return "float \(x)"
            case .tuple(let t): return "tuple \(t.items.count)"
            default: return value.kindName
            }
        }
    }

    private func reason(_ program: [UInt8], limits: RestrictedUnpickler.Limits = .init()) -> CheckpointError.Reason? {
        F.failure { _ = try run(program, limits: limits) }?.reason
    }

    @Test func integersFloatsAndStringsDecode() throws {
        #expect(try run(F.pickle([0x8A, 0x02, 0x00, 0xFF])) == "int -256")  // LONG1, two's complement
        #expect(try run(F.pickle([0x8A, 0x00])) == "int 0")
        #expect(try run(F.pickle([0x4A, 0xFE, 0xFF, 0xFF, 0xFF])) == "int -2")  // BININT
        #expect(try run(F.pickle([0x4D, 0x34, 0x12])) == "int 4660")  // BININT2
        #expect(try run(F.pickle([0x47, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0])) == "float 1.5")  // BINFLOAT
        #expect(try run(F.pickle([0x8C, 0x02] + Array("hi".utf8))) == "str hi")
        #expect(try run(F.pickle([0x95, 8, 0, 0, 0, 0, 0, 0, 0], F.binunicode("framed"))) == "str framed")
    }

    @Test func containersAndMemoBehaveLikePython() throws {
        // EMPTY_DICT, BINPUT 0, MARK 'a' 1 'b' 2 SETITEMS; then replace 'a' via SETITEM.
        let dict = F.pickle(
            [0x7D, 0x71, 0x00, 0x28], F.binunicode("a"), [0x4B, 1], F.binunicode("b"), [0x4B, 2, 0x75],
            F.binunicode("a"), [0x4B, 3, 0x73])
        #expect(try run(dict) == "dict 2")
        // A list memoised before APPENDS is seen filled through BINGET: [[1, 2], <same>] → outer has 2 items.
        let list = F.pickle([0x5D, 0x5D, 0x71, 0x01, 0x28, 0x4B, 1, 0x4B, 2, 0x65, 0x61, 0x68, 0x01, 0x61])
        #expect(try run(list) == "list 2")
        #expect(try run(F.pickle([0x28, 0x4B, 1, 0x4B, 2, 0x4B, 3, 0x74])) == "tuple 3")
        #expect(try run(F.pickle([0x4B, 1, 0x4B, 2, 0x86])) == "tuple 2")
    }

    @Test func forbiddenGlobalsAreNamedAndNeverResolved() {
        #expect(reason(F.pickle(F.global("builtins", "eval"))) == .forbiddenGlobal("builtins.eval"))
        #expect(reason(F.pickle(F.global("torch", "load"))) == .forbiddenGlobal("torch.load"))
        // STACK_GLOBAL with strings from the stack.
        #expect(reason(F.pickle(F.binunicode("subprocess"), F.binunicode("Popen"), [0x93])) == .forbiddenGlobal("subprocess.Popen"))
        // Allowed globals may not be called as arbitrary functions.
        if case .pickleMalformed? = reason(F.pickle(F.global("torch", "FloatStorage"), [0x29, 0x52])) {
        } else {
            Issue.record("calling a storage type must be refused")
        }
    }

    @Test func malformedProgramsFailWithOffsets() {
        let cases: [[UInt8]] = [
            [0x80, 0x02],  // no STOP
            F.pickle([0x73]),  // SETITEM on an empty stack
            F.pickle([0xFF]),  // unknown opcode
            F.pickle([0x58, 0xFF, 0xFF, 0xFF, 0x7F]),  // string longer than the input
            F.pickle([0x8D] + [UInt8](repeating: 0xFF, count: 8)),  // BINUNICODE8 huge
            F.pickle([0x8A, 0x09] + [UInt8](repeating: 1, count: 9)),  // LONG1 beyond 64 bits
            F.pickle([0x68, 0x05]),  // BINGET of a missing memo entry
            F.pickle([0x28, 0x4B, 1, 0x75, 0x4B, 1]),  // SETITEMS with an odd count; then stray values
            F.pickle([0x4B, 1, 0x4B, 2]),  // two values left at STOP
            F.pickle([0x63] + [UInt8](repeating: 0x41, count: 400)),  // GLOBAL without a newline
            F.pickle([0x58, 2, 0, 0, 0, 0xC3, 0x28]),  // invalid UTF-8
        ]
        for program in cases {
            guard case .pickleMalformed? = reason(program) else {
                Issue.record("\(program.prefix(12)) gave \(String(describing: reason(program)))")
                continue
            }
        }
    }

    @Test func limitsBoundMemoAndNesting() {
        var limits = RestrictedUnpickler.Limits()
        limits.maxMemoEntries = 4
        var program: [UInt8] = [0x4B, 0]
        for i in 0..<6 { program += [0x71, UInt8(i)] }
        if case .limitExceeded? = reason(F.pickle(program), limits: limits) {} else { Issue.record("memo limit not enforced") }
        limits = .init()
        limits.maxMarkDepth = 8
        if case .limitExceeded? = reason(F.pickle([UInt8](repeating: 0x28, count: 9)), limits: limits) {
        } else {
            Issue.record("MARK depth limit not enforced")
        }
    }

    @Test func selfReferencingListTerminates() throws {
        // l = []; l.append(l) — a cycle that must neither hang nor be followed.
        #expect(try run(F.pickle([0x5D, 0x71, 0x00, 0x68, 0x00, 0x61])) == "list 1")
    }

    @Test func deeplyNestedTuplesAreTornDownWithoutRecursion() throws {
        // 300 000 nested 1-tuples: released recursively, this would overflow the stack.
        let program = F.pickle([0x4B, 0] + [UInt8](repeating: 0x85, count: 300_000))
        #expect(try run(program) == "tuple 1")
    }

    @Test func viewsReachingOutsideTheirStorageAreRejected() {
        let storage = TorchStorageReference(key: "0", dtype: .F32, elementCount: 10)
        let fits = TorchTensorReference(storage: storage, offset: 2, shape: [2, 4], strides: [4, 1])
        #expect(fits.misfit(storageCount: 10) == nil)
        #expect(fits.gather(from: Array(0..<10)) == [2, 3, 4, 5, 6, 7, 8, 9])
        let transposed = TorchTensorReference(storage: storage, offset: 0, shape: [3, 2], strides: [1, 3])
        #expect(transposed.gather(from: Array(0..<10)) == [0, 3, 1, 4, 2, 5])
        let beyond = TorchTensorReference(storage: storage, offset: 3, shape: [2, 4], strides: [4, 1])
        #expect(beyond.misfit(storageCount: 10) != nil)
        let expanded = TorchTensorReference(storage: storage, offset: 0, shape: [1_000_000], strides: [0])
        #expect(expanded.misfit(storageCount: 10) != nil)  // more elements than the storage
        let huge = TorchTensorReference(storage: storage, offset: 0, shape: [1, 2], strides: [0, Int.max])
        #expect(huge.misfit(storageCount: 10) != nil)
    }
}
