import DNALTestSupport
import Foundation
import Testing

/// Errors that name the right flag and the real missing path, and a misspelt command that gets
/// a suggestion (issue 16's newcomer findings).
@Suite("Errors that point the right way", .timeLimit(.minutes(3)))
struct ErrorMessageTests {
    func temporary() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dnalc-errors-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func aMisspeltCommandGetsASuggestion() throws {
        let r = try runDNALC(["analyse", "architectures/vgg6-mnist.yaml"])
        #expect(r.status == 64)
        #expect(r.stderr.hasPrefix("error: unknown command 'analyse'; did you mean 'analyze'? (the commands: analyze, search, prune"))
        // the version names the commit the build came from (this checkout's, as the tests build it)
        let version = try runDNALC(["--version"])
        #expect(version.status == 0 && version.stdout.hasPrefix("0.1.0 (commit "), "\(version.stdout)")
        let head = Process()
        head.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        head.arguments = ["-C", Repository.root.path, "rev-parse", "--short=12", "HEAD"]
        let pipe = Pipe()
        head.standardOutput = pipe
        head.standardError = FileHandle.nullDevice
        if (try? head.run()) != nil {
            head.waitUntilExit()
            let hash = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if head.terminationStatus == 0 { #expect(version.stdout.contains("(commit \(hash)")) }
        }
    }

    @Test func outputsIntoMissingFoldersNameTheFlagAndTheFolder() throws {
        let dir = try temporary()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // a tiny run to have weights
        let run = dir + "/run"
        let s = try runDNALC(["search", "architectures/vgg6-mnist.yaml", "--epochs", "1,1,0", "--set", "train_limit=64", "--set", "test_limit=32",
                              "--batch", "32", "--threads", "1", "--out", run])
        #expect(s.status == 0, "\(s.stderr)")
        let prune = try runDNALC(["prune", "architectures/vgg6-mnist.yaml", "--weights", run + "/final.safetensors", "--out", dir + "/missing/p.yaml"])
        #expect(prune.status == 1 && prune.stderr == "error: --out \(dir)/missing/p.yaml: the folder '\(dir)/missing' does not exist\n")
        let predict = try runDNALC(["predict", run + "/pruned.yaml", "--weights", run + "/pruned.safetensors", "--input", "bundled",
                                    "--output", dir + "/nodir/l.npy"])
        #expect(predict.status == 1 && predict.stderr == "error: --output \(dir)/nodir/l.npy: the folder '\(dir)/nodir' does not exist\n")
        let notImage = try runDNALC(["predict", run + "/pruned.yaml", "--weights", run + "/pruned.safetensors", "--input", run + "/report.html",
                                     "--output", dir + "/l.npy"])
        #expect(notImage.status == 1 && notImage.stderr.contains("--input \(run)/report.html: not a .npy tensor nor a PNG or JPEG image"))
        // the run keeps a copy of its network file, and config.json writes paths plainly
        #expect(try String(contentsOfFile: run + "/network.yaml", encoding: .utf8)
                == String(contentsOf: Repository.architecture("vgg6-mnist.yaml"), encoding: .utf8))
        let config = try String(contentsOfFile: run + "/config.json", encoding: .utf8)
        #expect(config.contains("\"architectures/vgg6-mnist.yaml\"") && !config.contains("\\/"))
        #expect(config.contains("\"dnalcCommit\""))
    }

    @Test func aNetworkWithoutGatesIsNotSearched() throws {
        let dir = try temporary()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/plain.yaml"
        try "network: plain\ninput: [1, 28, 28]\nclasses: 10\nlayers:\n  - conv: {out: 4, bn: true, act: relu}\n  - gap\n  - linear: {out: 10}\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let r = try runDNALC(["search", file, "--out", dir + "/run"])
        #expect(r.status == 1 && r.stderr.contains("'plain' has no gates, so there is nothing to search") && r.stderr.contains("dnalc train"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/run"))
    }
}
