import DNALRuntime
import DNALTestSupport
import Foundation
import Testing

/// `dnalc search --engine torch` without torch: what it refuses before writing anything, and the
/// self-contained job `--launch none` writes for a cluster.
@Suite("dnalc search --engine torch: options and the job", .timeLimit(.minutes(3)))
struct TorchEngineOptionTests {
    let quick = ["--epochs", "1,1,1", "--set", "train_limit=256", "--set", "test_limit=64", "--batch", "32"]

    func temporary() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("dnalc-torch-cli-\(UUID().uuidString)")
    }

    @Test func refusesBeforeWritingAnything() throws {
        let dir = temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.path
        let cases: [([String], String)] = [
            (["--engine", "torch", "--python", "/nonexistent/python3"], "cannot run the Python interpreter '/nonexistent/python3': not found"),
            (["--nproc", "2"], "need --engine torch"),
            (["--engine", "torch", "--device", "tpu"], "--device takes cpu or cuda"),
            (["--engine", "torch", "--nnodes", "2"], "--nnodes above 1 needs --rdzv-endpoint"),
            (["--engine", "torch", "--python", "/nonexistent/python3", "--target-flops", "3x"], "a budget search"),
            (["--engine", "torch", "--python", "/nonexistent/python3", "--nproc", "3"], "must be a multiple of the process count (3)"),
        ]
        for (options, message) in cases {
            let r = try runDNALC(["search", "architectures/vgg6-mnist.yaml"] + quick + options + ["--out", out])
            #expect(r.status != 0 && r.stderr.contains(message), "\(options): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out), "\(options) left \(out)")
        }
    }

    @Test func launchNoneWritesASelfContainedJob() throws {
        let dir = temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run").path
        let r = try runDNALC(["search", "architectures/resnet8-mnist.yaml"] + quick
                             + ["--engine", "torch", "--nproc", "2", "--launch", "none", "--python", "/opt/py/bin/python", "--out", run])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("/opt/py/bin/python -m torch.distributed.run --standalone --nproc_per_node 2 \(run)/torch/dnalc_trainer.py \(run)/torch/job.json"), "\(r.stdout)")
        #expect(r.stdout.contains("dnalc search architectures/resnet8-mnist.yaml --resume \(run) --launch none"))
        for file in ["model.py", "dnalc_trainer.py", "job.json", "data/train-images.npy", "data/train-labels.npy", "data/test-images.npy",
                     "data/test-labels.npy"] {
            #expect(FileManager.default.fileExists(atPath: run + "/torch/" + file), "\(file)")
        }
        // the first checkpoint is dnalc's own, so both engines start from the same weights
        let first = try SafeTensors.read(run + "/checkpoints/last.safetensors")
        #expect(first.metadata["dnalc.checkpoint"]?.contains("\"epochsDone\":0") == true)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/config.json"))) as! [String: Any]
        let torch = config["torch"] as? [String: Any]
        #expect(torch?["processes"] as? Int == 2 && torch?["device"] as? String == "cpu")

        // the plans are DNALSchedule's: phase 2 starts from alpha 0 with the regulariser, phase 3 masks weights
        let job = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/torch/job.json"))) as! [String: Any]
        let plans = job["plans"] as! [[String: Any]]
        #expect(plans.map { $0["phase"] as! Int } == [1, 2, 3])
        #expect(plans.map { $0["gate_mode"] as! String } == ["identity", "search", "hard"])
        #expect(plans.map { $0["reset_alpha"] as! Bool } == [false, true, false])
        #expect(plans.map { $0["weight_masks"] as! Bool } == [false, false, true])
        #expect(plans[1]["regulariser"] as? Double == 0.05 && plans[0]["regulariser"] == nil)
        #expect(plans[1]["stepping"] as! [String] == ["alpha", "batchNorm1d", "linear"])
        #expect(plans[1]["beta"] as! Double == 10000)
        let groups = job["groups"] as! [String: String]
        #expect(groups["stem.weight"] == "conv" && groups["stem.gate.alpha"] == "alpha" && groups["fc.weight"] == "linear")
        #expect(job["batch"] as? Int == 32 && (job["data"] as! [String: String])["train_images"] == "data/train-images.npy")

        // the Python files compile with any Python 3 (torch is only imported when they run)
        let compile = Process()
        compile.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        compile.arguments = ["python3", "-m", "py_compile", run + "/torch/model.py", run + "/torch/dnalc_trainer.py"]
        try compile.run()
        compile.waitUntilExit()
        #expect(compile.terminationStatus == 0)

        // resuming may change the interpreter and the launch mode, nothing else
        let nproc = try runDNALC(["search", "architectures/resnet8-mnist.yaml", "--resume", run, "--nproc", "4"])
        #expect(nproc.status != 0 && nproc.stderr.contains("only --python and --launch may change"), "\(nproc.stderr)")
        let again = try runDNALC(["search", "architectures/resnet8-mnist.yaml", "--resume", run, "--launch", "none", "--python", "/other/python"])
        #expect(again.status == 0 && again.stdout.contains("/other/python -m torch.distributed.run"), "\(again.stdout)\(again.stderr)")
    }
}
