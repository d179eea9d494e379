import Foundation
import FuzzTargets

// Built by Scripts/fuzz.sh with `-sanitize=fuzzer,address -DFUZZING`, the tool hands its arguments to libFuzzer's
// driver, which feeds inputs to the reader WBC_FUZZ_TARGET names. Built plainly (as `swift build` does), it
// replays files through a reader instead (`wbc-fuzz TARGET FILE…`) or writes the seed corpus
// (`wbc-fuzz --make-corpus DIR`).

#if FUZZING
    nonisolated(unsafe) private var target = FuzzTarget.jpeg

    /// What libFuzzer calls with each input.
    private let testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt = { bytes, count in
        target.run(bytes.map { Data(bytes: $0, count: count) } ?? Data())
        return 0
    }

    /// libFuzzer's driver, `int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *, size_t))`.
    private typealias RunDriver =
        @convention(c) (
            UnsafeMutablePointer<CInt>, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
            @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
        ) -> CInt

    // SwiftPM gives an executable its own entry point, so libFuzzer's `main` is not used: this one hands the
    // arguments to libFuzzer's driver.
    @main
    struct WBCFuzz {
        static func main() {
            let name = ProcessInfo.processInfo.environment["WBC_FUZZ_TARGET"] ?? ""
            guard let chosen = FuzzTarget(rawValue: name) else {
                print("set WBC_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
                exit(2)
            }
            target = chosen
            guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "LLVMFuzzerRunDriver") else {
                print("libFuzzer is not linked in; build with -sanitize=fuzzer (Scripts/fuzz.sh)")
                exit(2)
            }
            let run = unsafeBitCast(symbol, to: RunDriver.self)
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(run(&argc, &argv, testOneInput))
        }
    }
#else
    @main
    struct WBCFuzz {
        static func main() {
            let arguments = CommandLine.arguments.dropFirst()
            if arguments.first == "--make-corpus", arguments.count == 2 {
                do { try makeCorpus(in: URL(fileURLWithPath: arguments.last!)) } catch {
                    print("cannot write the corpus: \(error)")
                    exit(1)
                }
                return
            }
            guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count > 1 else {
                print("usage: wbc-fuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) FILE…  (replays files through a reader)")
                exit(2)
            }
            for path in arguments.dropFirst() {
                guard let data = FileManager.default.contents(atPath: path) else {
                    print("\(path): cannot read")
                    exit(1)
                }
                target.run(data)
            }
            print("\(arguments.count - 1) input(s) read by the \(target.rawValue) reader without a crash")
        }

        /// DIR/<target>/<seed> and DIR/<target>.dict for every target.
        static func makeCorpus(in root: URL) throws {
            for target in FuzzTarget.allCases {
                let folder = root.appendingPathComponent(target.rawValue)
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                for seed in try target.seeds() { try seed.bytes.write(to: folder.appendingPathComponent(seed.name)) }
                let dictionary = target.dictionary.map { $0 + "\n" }.joined()
                try Data(dictionary.utf8).write(to: root.appendingPathComponent("\(target.rawValue).dict"))
            }
            print("wrote the seed corpus of \(FuzzTarget.allCases.count) targets under \(root.path)")
        }
    }
#endif
