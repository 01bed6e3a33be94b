import DNALRuntime
import DNALTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A search killed (SIGKILL) at moments spread over its whole life, the final write-out
/// included, and then resumed, leaves exactly the files of the run that was never interrupted.
@Suite("Crash safety", .serialized, .timeLimit(.minutes(5)))
struct CrashSafetyTests {
    let args = ["architectures/vgg6-mnist.yaml", "--epochs", "1,1,1", "--batch", "32", "--lambda", "0.01",
                "--set", "train_limit=256", "--set", "test_limit=64", "--threads", "2"]

    /// What must not differ: the log without its timing column, masks, weights and pruned network.
    func outcome(_ run: String) throws -> [String] {
        let log = try String(contentsOfFile: run + "/log.csv", encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).dropLast().joined(separator: ",") }
        let weights = try SafeTensors.read(run + "/final.safetensors").tensors
        let pruned = try SafeTensors.read(run + "/pruned.safetensors").tensors
        return log + [try String(contentsOfFile: run + "/masks.json", encoding: .utf8),
                      try String(contentsOfFile: run + "/pruned.yaml", encoding: .utf8),
                      weights.keys.sorted().map { "\($0)=\(weights[$0]!.values)" }.joined(),
                      pruned.keys.sorted().map { "\($0)=\(pruned[$0]!.values)" }.joined()]
    }

    /// Which parts of two outcomes differ (log lines by number, then the files), so that a
    /// failure says what a resumed run got wrong rather than printing both in full.
    static func differences(_ got: [String], _ expected: [String]) -> String {
        let files = ["masks.json", "pruned.yaml", "final.safetensors", "pruned.safetensors"]
        let logLines = max(got.count, expected.count) - files.count
        var parts: [String] = []
        if got.count != expected.count { parts.append("log.csv has \(got.count - files.count) lines, want \(expected.count - files.count)") }
        for i in 0..<min(got.count, expected.count) where got[i] != expected[i] {
            let fromEnd = min(got.count, expected.count) - i
            parts.append(fromEnd <= files.count ? files[files.count - fromEnd] : "log.csv line \(i + 1) of \(logLines): \(got[i]) (want \(expected[i]))")
        }
        return parts.isEmpty ? "nothing" : parts.prefix(6).joined(separator: "; ")
    }

    /// Starts dnalc and kills it with SIGKILL after `seconds` (if it is still running); nil when
    /// it was killed, else the seconds it took to finish on its own.
    func finishedBeforeKill(_ arguments: [String], after seconds: Double) throws -> Double? {
        let p = Process()
        p.executableURL = dnalcBinary()
        p.arguments = arguments
        p.currentDirectoryURL = Repository.root
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        let start = Date()
        try p.run()
        let deadline = start.addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        guard p.isRunning else { return Date().timeIntervalSince(start) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        return nil
    }

    @Test func killedAndResumedRunsEndAsTheUninterruptedOne() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dnalc-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let reference = dir.appendingPathComponent("reference").path
        let start = Date()
        let r = try runDNALC(["search"] + args + ["--out", reference])
        #expect(r.status == 0, "\(r.stderr)")
        // a run's length, re-estimated from every run that finishes before its kill point: the
        // reference may have run while other suites loaded the cores, and later runs faster
        var duration = Date().timeIntervalSince(start)
        let expected = try outcome(reference)
        // kill points spread over the run, the last ones in its final tenth (the write-out); a
        // point the run outlived is tried once more with the shorter estimate
        var kills = 0
        for (k, fraction) in [0.15, 0.4, 0.65, 0.9, 0.97].enumerated() {
            for attempt in 0..<2 {
                let run = dir.appendingPathComponent("run\(k)-\(attempt)").path
                let started = FileManager.default.fileExists(atPath: run + "/config.json")
                let finished = try finishedBeforeKill(["search"] + args + ["--out", run], after: duration * fraction)
                if let finished { duration = min(duration, finished) } else { kills += 1 }
                // resume (or start again, when the kill came before config.json), until it finishes
                for _ in 0..<3 where finished == nil {
                    let hasConfig = FileManager.default.fileExists(atPath: run + "/config.json")
                    let result = hasConfig || started
                        ? try runDNALC(["search", "architectures/vgg6-mnist.yaml", "--resume", run, "--threads", "2"])
                        : try runDNALC(["search"] + args + ["--out", run])
                    if result.status == 0 { break }
                    if !hasConfig { try? FileManager.default.removeItem(atPath: run) }
                }
                let got = try outcome(run)
                #expect(got == expected, "killed at \(Int(fraction * 100))% of the run: \(Self.differences(got, expected))")
                if finished == nil { break }
            }
        }
        #expect(kills >= 2, "the run finished before most kill points: \(kills) kills")
    }
}
