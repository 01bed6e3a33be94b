import DNALTestSupport
import Foundation
import Testing

/// examples/README.md quotes dnalc's output; every quoted line must still be what dnalc prints.
@Suite("examples/", .timeLimit(.minutes(2)))
struct ExamplesTests {
    @Test func quotedOutputIsWhatDnalcPrints() throws {
        let readme = try String(contentsOf: Repository.root.appendingPathComponent("examples/README.md"), encoding: .utf8)
        let blocks = readme.components(separatedBy: "```\n").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        var checked = 0
        for block in blocks {
            let lines = block.split(separator: "\n").map(String.init)
            guard let command = lines.first, command.hasPrefix("$ swift run -c release dnalc ") else { continue }
            let args = command.dropFirst("$ swift run -c release dnalc ".count).split(separator: " ").map(String.init)
            let pipeIndex = args.firstIndex(of: "|") ?? args.endIndex
            // run directories the walkthrough creates start empty, so the commands can run again
            if let out = args.firstIndex(of: "--out").map({ args[$0 + 1] }), out.hasPrefix("/tmp/dnalc-example-"), !out.hasSuffix(".yaml") {
                try? FileManager.default.removeItem(atPath: out)
            }
            let r = try runDNALC(Array(args[..<pipeIndex]))
            #expect(r.status == 0, "\(command): \(r.stderr)")
            for line in lines.dropFirst() where line != "..." {
                #expect(r.stdout.contains(line + "\n"), "\(command) no longer prints: \(line)")
                checked += 1
            }
        }
        #expect(checked >= 8)
    }

    @Test func everyExampleNetworkAnalyzes() throws {
        let dir = Repository.root.appendingPathComponent("examples")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }
        #expect(!files.isEmpty)
        for f in files {
            let r = try runDNALC(["analyze", "examples/" + f])
            #expect(r.status == 0, "\(f): \(r.stderr)")
        }
    }
}
