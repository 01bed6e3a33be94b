import Foundation

// Built with -DFUZZING and --sanitize fuzzer (scripts/fuzz.sh), this is a libFuzzer target whose
// reader DNALC_FUZZ_TARGET names (libFuzzer brings its own main). Otherwise it replays files
// through a target (`dnalc-fuzz TARGET FILE...`): how a crash found by fuzzing is reproduced,
// and how `scripts/fuzz.sh check` and the tests run the inputs in Fuzz/Regressions.
#if FUZZING
nonisolated(unsafe) private var target: FuzzTarget? = nil

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    if target == nil {
        guard let chosen = FuzzTarget.fromEnvironment else {
            FileHandle.standardError.write(Data("set DNALC_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
            exit(2)
        }
        target = chosen
    }
    target!.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main
struct Replay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let replay = FuzzTarget(rawValue: name), arguments.count >= 2 else {
            FileHandle.standardError.write(Data("usage: dnalc-fuzz TARGET FILE...  (TARGET: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")))\n".utf8))
            exit(2)
        }
        for path in arguments.dropFirst() {
            guard let bytes = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("cannot read \(path)\n".utf8))
                exit(1)
            }
            replay.run([UInt8](bytes))
        }
        print("replayed \(arguments.count - 1) input(s) through \(name): no crash")
    }
}
#endif
