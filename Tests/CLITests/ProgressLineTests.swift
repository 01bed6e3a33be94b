import DNALTestSupport
import Foundation
import Testing
@testable import dnalc

/// The progress line fits any terminal from 40 columns, so it redraws in place; a real run in a
/// pseudo-terminal 80 columns wide never writes a longer line; --quiet prints only the summary.
@Suite("Progress on a terminal", .serialized, .timeLimit(.minutes(3)))
struct ProgressLineTests {
    @Test func everyWidthFromFortyColumnsFits() {
        for columns in 40...200 {
            for runLeft in [nil, 3725.0] {
                let line = ProgressLine(position: "phase 2 10/10", done: 0.37, epochLeft: 65, runLeft: runLeft)
                let text = line.render(columns: columns)
                #expect(text.count < columns, "\(columns): \(text)")
                #expect(text.hasPrefix("phase 2 10/10") && text.contains("37%"))
                if columns >= 100 { #expect(text.contains("1m05s left in the epoch") && (runLeft == nil || text.contains("1h02m in the run"))) }
            }
        }
        #expect(ProgressLine(position: "epoch 1/1", done: 1, epochLeft: 0.4, runLeft: nil).render(columns: 80).hasSuffix("0 s left in the epoch"))
    }

    @Test func aRunInAnEightyColumnTerminalRedrawsInPlace() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return }  // util-linux's pseudo-terminal
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dnalc-pty-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let command = [dnalcBinary().path, "search", "architectures/vgg6-mnist.yaml", "--epochs", "1,1,1", "--set", "train_limit=512",
                       "--set", "test_limit=64", "--batch", "16", "--threads", "1", "--out", dir].joined(separator: " ")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        p.arguments = ["-qec", "stty cols 80 2>/dev/null; COLUMNS=80 " + command, "/dev/null"]
        p.currentDirectoryURL = Repository.root
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(output)")
        let segments = output.replacingOccurrences(of: "\u{1B}[K", with: "").split(whereSeparator: { $0 == "\r" || $0 == "\n" })
        let bars = segments.filter { $0.contains("[#") || $0.contains("[.") }
        #expect(!bars.isEmpty, "no progress line in: \(output)")
        // (the header, epoch and summary lines are printed once and may wrap; only the redrawn line must fit)
        for line in bars { #expect(line.count < 80, "\(line.count) columns: \(line)") }
        #expect(bars.contains { $0.contains("in the run") })
    }

    @Test func quietPrintsOnlyTheSummary() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dnalc-quiet-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try runDNALC(["search", "architectures/vgg6-mnist.yaml", "--epochs", "1,1,0", "--set", "train_limit=128", "--set", "test_limit=32",
                              "--batch", "32", "--threads", "1", "--quiet", "--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stdout.contains("phase 1") && r.stdout.hasPrefix("\nbaseline "), "\(r.stdout)")
        #expect(r.stderr.isEmpty)
    }
}
