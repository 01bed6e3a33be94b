import DNALRuntime
import DNALTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `dnalc search --engine torch` for real, with the interpreter `DNALC_TEST_PYTHON` names (.ci/run
/// sets it to a throwaway venv with the CPU torch wheel): two processes hand back a native run
/// directory, one process follows the native engine, a failing trainer and a killed dnalc leave
/// a run that resumes to the uninterrupted run's files.
@Suite("dnalc search --engine torch on real data",
       .enabled(if: ProcessInfo.processInfo.environment["DNALC_TEST_PYTHON"] != nil, "needs DNALC_TEST_PYTHON: an interpreter with torch"),
       .serialized, .timeLimit(.minutes(8)))
struct TorchEngineRunTests {
    let python = ProcessInfo.processInfo.environment["DNALC_TEST_PYTHON"] ?? ""
    let args = ["architectures/vgg6-mnist.yaml", "--epochs", "1,1,1", "--set", "train_limit=2000", "--set", "test_limit=500",
                "--threads", "2"]

    func temporary() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dnalc-torch-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    /// log.csv without its timing column.
    func log(_ run: String) throws -> [String] {
        try String(contentsOfFile: run + "/log.csv", encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).dropLast().joined(separator: ",") }
    }

    /// A `sitecustomize.py` (Python imports it at start-up from PYTHONPATH) that makes the worker
    /// of rank 1 die of SIGSEGV when the trainer calls `hook`: a crash in native code, on demand.
    func crashingRank1(at hook: String, in dir: URL) throws -> [String: String] {
        let site = dir.appendingPathComponent("site-\(hook.replacingOccurrences(of: ".", with: "-"))")
        try FileManager.default.createDirectory(at: site, withIntermediateDirectories: true)
        let module = hook.split(separator: ".")[0], function = hook.split(separator: ".")[1]
        try """
            import os, signal, \(module)
            if os.environ.get("RANK") == "1":
                \(module).\(function) = lambda *args: os.kill(os.getpid(), signal.SIGSEGV)
            """.write(to: site.appendingPathComponent("sitecustomize.py"), atomically: true, encoding: .utf8)
        return ["PYTHONPATH": site.path]
    }

    @Test func twoProcessesHandBackANativeRunDirectory() throws {
        let dir = try temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run").path
        // a worker that dies before its work is done fails the run, saying which and how
        let early = try runDNALC(["search"] + args + ["--engine", "torch", "--nproc", "2", "--python", python, "--out", run],
                                 environment: try crashingRank1(at: "faulthandler.enable", in: dir))
        #expect(early.status == 1 && early.stderr.contains("process rank 1 was killed by signal 11 (SIGSEGV)")
                && early.stderr.contains("continue with: dnalc search --resume \(run)"), "\(early.stderr)")
        // one that dies while shutting down, its epochs on disk, does not: the run goes on, warned
        let r = try runDNALC(["search", "architectures/vgg6-mnist.yaml", "--resume", run, "--python", python],
                             environment: try crashingRank1(at: "os._exit", in: dir))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("warning: the PyTorch trainer finished its epochs, then failed while shutting down")
                && r.stderr.contains("process rank 1 was killed by signal 11 (SIGSEGV)"), "\(r.stderr)")
        #expect(r.stdout.contains("PyTorch backend, 2 processes on cpu") && r.stdout.contains("phase 3 fine-tune 1/1"), "\(r.stdout)")
        #expect(r.stdout.contains("\ntrained on the PyTorch backend: 2 processes on cpu (batch-norm statistics per process"), "\(r.stdout)")
        let html = try String(contentsOfFile: run + "/report.html", encoding: .utf8)
        #expect(html.contains(" Trained on the PyTorch backend: 2 processes on cpu (batch-norm statistics per process"))
        let report = try json(run + "/report.json")
        let backend = report["backend"] as? [String: Any], pruned = report["pruned"] as! [String: Any]
        #expect(backend?["engine"] as? String == "torch" && backend?["processes"] as? Int == 2)
        #expect((backend?["note"] as? String)?.contains("batch-norm statistics per process") == true)
        // the compact network costs what the report says, and the native engine scores it the same
        let analyze = try runDNALC(["analyze", run + "/pruned.yaml", "--format", "json"])
        let total = (try JSONSerialization.jsonObject(with: Data(analyze.stdout.utf8)) as! [String: Any])["total"] as! [String: Int]
        #expect(total["flops"] == pruned["flops"] as? Int && total["params"] == pruned["params"] as? Int)
        let eval = try runDNALC(["eval", run + "/pruned.yaml", "--weights", run + "/pruned.safetensors", "--limit", "500", "--format", "json"])
        let top1 = (try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as! [String: Any])["top1"] as! Double
        #expect(abs(top1 - (pruned["top1"] as! Double)) <= 0.5, "native eval \(top1), report \(pruned["top1"]!)")
        for file in ["masks.json", "final.safetensors", "pruned.safetensors", "report.html", "checkpoints/best.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: run + "/" + file), "\(file)")
        }
        #expect(try log(run).count == 4 && !(try log(run)[2].contains(",0,0,0,")), "the cost columns are filled in")
    }

    @Test func oneProcessFollowsTheNativeEngineAndResumesAfterFailureAndKill() throws {
        let dir = try temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let native = dir.appendingPathComponent("native").path, torch = dir.appendingPathComponent("torch").path
        let n = try runDNALC(["search"] + args + ["--out", native])
        let t = try runDNALC(["search"] + args + ["--engine", "torch", "--python", python, "--out", torch])
        #expect(n.status == 0 && t.status == 0, "\(n.stderr)\(t.stderr)")
        // same starting weights, batches and crops: phase 1's loss agrees to rounding, the outcome within noise
        let nativeLog = try log(native), torchLog = try log(torch)
        let loss = { (line: String) in Double(line.split(separator: ",")[3])! }
        #expect(abs(loss(nativeLog[1]) - loss(torchLog[1])) / loss(nativeLog[1]) < 1e-3, "\(nativeLog[1]) vs \(torchLog[1])")
        let nativeTop1 = (try json(native + "/report.json")["pruned"] as! [String: Any])["top1"] as! Double
        let torchTop1 = (try json(torch + "/report.json")["pruned"] as! [String: Any])["top1"] as! Double
        #expect(abs(nativeTop1 - torchTop1) <= 3, "native \(nativeTop1), torch \(torchTop1)")

        // a trainer that fails (damaged data) says why in one line and leaves the run resumable
        let broken = dir.appendingPathComponent("broken").path
        let w = try runDNALC(["search"] + args + ["--engine", "torch", "--python", python, "--launch", "none", "--out", broken])
        #expect(w.status == 0, "\(w.stderr)")
        let labels = broken + "/torch/data/train-labels.npy"
        let good = try Data(contentsOf: URL(fileURLWithPath: labels))
        try Data("not a npy file".utf8).write(to: URL(fileURLWithPath: labels))
        let failed = try runDNALC(["search", "architectures/vgg6-mnist.yaml", "--resume", broken, "--python", python])
        #expect(failed.status == 1, "\(failed.stdout)")
        #expect(failed.stderr.hasPrefix("error: the PyTorch trainer failed (exit 1): ") && failed.stderr.contains("train-labels.npy is not a .npy file")
                && failed.stderr.contains("continue with: dnalc search --resume \(broken)"), "\(failed.stderr)")
        #expect(failed.stderr.split(separator: "\n").count == 1)
        try good.write(to: URL(fileURLWithPath: labels))

        // killed (SIGKILL) once an epoch is done: the trainer goes with it, and --resume ends as
        // the uninterrupted run
        let p = Process()
        p.executableURL = dnalcBinary()
        p.arguments = ["search", "architectures/vgg6-mnist.yaml", "--resume", broken, "--python", python]
        p.currentDirectoryURL = Repository.root
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        while p.isRunning && Date() < deadline && ((try? log(broken).count) ?? 0) < 2 { usleep(20_000) }
        #expect(p.isRunning, "the run ended before it could be killed")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let resumed = try runDNALC(["search", "architectures/vgg6-mnist.yaml", "--resume", broken, "--python", python])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try log(broken) == torchLog)
        #expect(try SafeTensors.read(broken + "/pruned.safetensors").tensors == SafeTensors.read(torch + "/pruned.safetensors").tensors)
    }

    /// The recipe settings reach the Python trainer: a per-step beta ramp, a step rate schedule,
    /// PyTorch's initialisation, no augmentation, and no phase 3 (the binarised network is
    /// evaluated natively and reported).
    @Test func recipeSettingsAndNoFineTuningFollowTheNativeEngine() throws {
        let dir = try temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let native = dir.appendingPathComponent("native").path, torch = dir.appendingPathComponent("torch").path
        let recipe = ["architectures/vgg6-mnist.yaml", "--epochs", "2,1,0", "--set", "train_limit=2000", "--set", "test_limit=500",
                      "--threads", "2", "--set", "beta_schedule=step", "--set", "lr_schedule=step/0.1/0,constant,cosine",
                      "--set", "init=pytorch", "--set", "augment=none"]
        let n = try runDNALC(["search"] + recipe + ["--out", native])
        let t = try runDNALC(["search"] + recipe + ["--engine", "torch", "--python", python, "--out", torch])
        #expect(n.status == 0 && t.status == 0, "\(n.stderr)\(t.stderr)")
        let nativeLog = try log(native), torchLog = try log(torch)
        let loss = { (line: String) in Double(line.split(separator: ",")[3])! }
        // the same weights, batches and rates through phase 1 (the second epoch at a tenth of the
        // rate). The first epoch's mean loss agrees to a few 1e-4; by the second, rounding alone
        // has moved the trajectory: the native engine's own second-epoch loss spans 0.7717-0.7740
        // (0.3%) across 1, 2 and 3 threads, which only change the order of its sums.
        for (row, bound) in [(1, 2e-3), (2, 6e-3)] {
            #expect(abs(loss(nativeLog[row]) - loss(torchLog[row])) / loss(nativeLog[row]) < bound, "\(nativeLog[row]) vs \(torchLog[row])")
        }
        // That spread hides what a wrong second-epoch rate does to the loss (0.36% here), so the
        // step schedule is checked by the rate each epoch ended at (the log's lr column, 0.05
        // then 0.005); and both engines log the loss's parts
        let column = { (line: String, k: Int) in line.split(separator: ",", omittingEmptySubsequences: false)[k] }
        for row in 1...3 {
            #expect(column(nativeLog[row], 13) == column(torchLog[row], 13), "lr: \(nativeLog[row]) vs \(torchLog[row])")
            #expect(!column(torchLog[row], 11).isEmpty && !column(torchLog[row], 12).isEmpty, "\(torchLog[row])")
        }
        #expect(column(torchLog[2], 13) == "0.005")
        #expect(abs(loss(nativeLog[3]) - loss(torchLog[3])) / loss(nativeLog[3]) < 0.05, "\(nativeLog[3]) vs \(torchLog[3])")
        // (the per-epoch beta schedule gives a phase-2 loss about 20% higher here, so the ramp is checked)
        // which channels a single phase-2 epoch keeps is chaotic, so the outcomes differ; each run's
        // final.safetensors and pruned network give exactly the top-1 its report states
        for run in [native, torch] {
            let reported = try #require((try json(run + "/report.json")["pruned"] as? [String: Any])?["top1"] as? Double)
            for (network, weights) in [("architectures/vgg6-mnist.yaml", run + "/final.safetensors"), (run + "/pruned.yaml", run + "/pruned.safetensors")] {
                let eval = try runDNALC(["eval", network, "--weights", weights, "--limit", "500", "--format", "json"])
                let top1 = (try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])?["top1"] as? Double
                #expect(top1 == reported, "\(weights): \(eval.stderr)")
            }
        }
    }
}
