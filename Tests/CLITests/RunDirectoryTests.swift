import DNALRuntime
import DNALTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A run directory is never silently spoiled: a finished run resumes to the same files, a resume
/// with another network, other data or another thread count is refused, a second process is
/// locked out, damaged checkpoint state is an error, and leftovers of killed writes are cleaned.
@Suite("Run directories", .serialized, .timeLimit(.minutes(3)))
struct RunDirectoryTests {
    let quick = ["--epochs", "1,1,1", "--batch", "32", "--lambda", "0.01", "--set", "train_limit=256", "--set", "test_limit=64",
                 "--threads", "2"]

    func directory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dnalc-cli-rundir-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    func text(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    @Test func resumesAreStrictAndFinishesIdempotent() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run").path
        let first = try runDNALC(["search", "architectures/vgg6-mnist.yaml", "--out", run] + quick)
        #expect(first.status == 0, "\(first.stderr)")
        let masks = try text(run + "/masks.json"), report = try text(run + "/report.json")
        #expect(masks.contains("[0") || masks.contains(", "))

        // a finished run, resumed (as after a kill right after its last checkpoint): same masks and pruned files
        try Data("partial".utf8).write(to: URL(fileURLWithPath: run + "/checkpoints/.last.safetensors.tmp-99999"))
        let again = try runDNALC(["search", "architectures/vgg6-mnist.yaml", "--resume", run, "--threads", "2"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try text(run + "/masks.json") == masks)
        let r1 = try JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any]
        let r2 = try JSONSerialization.jsonObject(with: Data(text(run + "/report.json").utf8)) as? [String: Any]
        #expect((r1?["pruned"] as? [String: Any])?["flops"] as? Int == (r2?["pruned"] as? [String: Any])?["flops"] as? Int)
        #expect(!FileManager.default.fileExists(atPath: run + "/checkpoints/.last.safetensors.tmp-99999"))

        // another thread count, other data, another network of the same name: refused
        let threads = try runDNALC(["search", "architectures/vgg6-mnist.yaml", "--resume", run, "--threads", "1"])
        #expect(threads.status == 1 && threads.stderr.contains("ran with --threads 2"), "\(threads.stderr)")
        let changed = dir.appendingPathComponent("vgg6-relu6.yaml").path
        let yaml = try text(Repository.architecture("vgg6-mnist.yaml").path).replacingOccurrences(of: "act: relu}", with: "act: relu6}")
        try yaml.write(toFile: changed, atomically: true, encoding: .utf8)
        #expect(yaml.contains("relu6"))
        let network = try runDNALC(["search", changed, "--resume", run, "--threads", "2"])
        #expect(network.status == 1 && network.stderr.contains("was started from a different network"), "\(network.stderr)")

        // a checkpoint whose recorded progress is impossible
        let last = run + "/checkpoints/last.safetensors"
        var file = try SafeTensors.read(last)
        var state = try JSONSerialization.jsonObject(with: Data(file.metadata["dnalc.checkpoint"]!.utf8)) as! [String: Any]
        state["epochsDone"] = 7
        file.metadata["dnalc.checkpoint"] = String(decoding: try JSONSerialization.data(withJSONObject: state), as: UTF8.self)
        try SafeTensors.write(file.tensors, metadata: file.metadata, to: last)
        let damaged = try runDNALC(["search", "architectures/vgg6-mnist.yaml", "--resume", run, "--threads", "2"])
        #expect(damaged.status == 1 && damaged.stderr.contains("records 7 epochs done"), "\(damaged.stderr)")
    }

    @Test func aSecondProcessIsLockedOut() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run").path
        #expect(try runDNALC(["search", "architectures/vgg6-mnist.yaml", "--out", run] + quick).status == 0)
        // hold the run's lock as a running search would
        let fd = open(run + "/checkpoints/.dnalc.lock", O_RDWR)
        #expect(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
        defer { close(fd) }
        let second = try runDNALC(["search", "architectures/vgg6-mnist.yaml", "--resume", run, "--threads", "2"])
        #expect(second.status == 1 && second.stderr.contains("is in use by another dnalc"), "\(second.stderr)")
    }

    @Test func budgetsAreCheckedBeforeAnythingIsWritten() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run").path
        let both = try runDNALC(["search", "architectures/vgg6-mnist.yaml", "--lambda", "0.1", "--target-flops", "3x", "--out", run])
        #expect(both.status != 0 && both.stderr.contains("give either --lambda or a budget"), "\(both.stderr)")
        for (budget, message) in [("3y", "'3y' is not a flops budget"), ("20M", "more than the full network's 7.34M"),
                                  ("=-2M", "a budget of -2M is not a positive count"), ("1000x", "less than the smallest network")] {
            let r = try runDNALC(["search", "architectures/vgg6-mnist.yaml", "--target-flops\(budget.hasPrefix("=") ? budget : "=" + budget)", "--out", run])
            #expect(r.status == 1 && r.stderr.contains(message), "\(budget): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: run))
    }
}
