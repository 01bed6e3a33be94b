import DNALTestSupport
import Foundation
import Testing

/// Every input in Fuzz/Regressions (crashes found by fuzzing or by hand, since fixed) goes through
/// its reader again, as `dnalc-fuzz TARGET FILE...` replays it: each must end in a value or an
/// error, never a trap.
@Suite("Fuzz regressions", .timeLimit(.minutes(2)))
struct FuzzRegressionTests {
    @Test func everyRegressionInputIsHandled() throws {
        let root = Repository.root.appendingPathComponent("Fuzz/Regressions")
        let targets = try FileManager.default.contentsOfDirectory(atPath: root.path).sorted()
        #expect(targets.contains("yaml") && targets.contains("safetensors") && targets.contains("npy"))
        let replay = dnalcBinary().deletingLastPathComponent().appendingPathComponent("dnalc-fuzz")
        for target in targets {
            let files = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(target).path).sorted()
                .map { root.appendingPathComponent(target).appendingPathComponent($0).path }
            let p = Process()
            p.executableURL = replay
            p.arguments = [target] + files
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0 && text.contains("replayed \(files.count) input(s) through \(target): no crash"), "\(target): \(text)")
        }
    }
}
