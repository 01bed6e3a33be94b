import DNALData
import DNALRuntime
import DNALTestSupport
import Foundation
import Testing

@Suite("dnalc search", .timeLimit(.minutes(3)))
struct SearchCommandTests {
    func directory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dnalc-cli-search-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    let quick = ["--epochs", "1,1,1", "--batch", "32", "--lambda", "0.01", "--set", "train_limit=256", "--set", "test_limit=64"]

    @Test func writesTheRunDirectoryAndResumes() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("run").path
        let r = try runDNALC(["search", "architectures/vgg6-mnist.yaml", "--out", out] + quick)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("dnalc search vgg6-mnist on bundled Fashion-MNIST subset: lambda 0.01, epochs 1+1+1"))
        #expect(r.stdout.contains("phase 2 gates 1/1  beta 10000"))
        #expect(r.stdout.contains("pruned "))
        let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(files == ["checkpoints", "config.json", "final.safetensors", "log.csv", "masks.json", "network.yaml", "pruned.safetensors", "pruned.yaml",
                          "report.html", "report.json"])
        let log = try String(contentsOfFile: out + "/log.csv", encoding: .utf8).split(separator: "\n")
        #expect(log.count == 4 && log[0] == "phase,epoch,beta,loss,top1,top5,open_gates,expected_flops,hard_flops,hard_params,lambda,cross_entropy,regulariser,lr,seconds")  // lambda: budget search
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))) as? [String: Any])
        #expect(report["lambda"] as? Double == 0.01)
        #expect((report["baseline"] as? [String: Any])?["flops"] as? Int == 7_339_114)
        // the masks cost, under analyze, what the log's last row says; so does the pruned network
        let analyze = try runDNALC(["analyze", "architectures/vgg6-mnist.yaml", "--masks", out + "/masks.json", "--format", "json"])
        let total = (try JSONSerialization.jsonObject(with: Data(analyze.stdout.utf8)) as? [String: Any])?["total"] as? [String: Any]
        #expect(String(total?["flops"] as? Int ?? -1) == String(log[3].split(separator: ",")[8]))
        // report.json carries the reference counter's figure for the same masks, as analyze does
        let reference = (try JSONSerialization.jsonObject(with: Data(analyze.stdout.utf8)) as? [String: Any])?["reference"] as? [String: Any]
        #expect((report["reference"] as? [String: Any])?["flops"] as? Int == reference?["flops"] as? Int)
        #expect(reference?["flops"] as? Int != nil)
        let pruned = try runDNALC(["analyze", out + "/pruned.yaml", "--format", "json"])
        let prunedTotal = (try JSONSerialization.jsonObject(with: Data(pruned.stdout.utf8)) as? [String: Any])?["total"] as? [String: Any]
        #expect(String(prunedTotal?["flops"] as? Int ?? -1) == String(log[3].split(separator: ",")[8]))
        #expect(r.stdout.contains("the compact network: pruned.yaml and pruned.safetensors in the run directory"))
        // dnalc prune from the final weights (their own masks, or masks.json) gives the same network and weights
        func body(_ path: String) throws -> [Substring] {
            try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
        }
        for masks in [[], ["--masks", out + "/masks.json"]] {
            let p = dir.appendingPathComponent("p.yaml").path
            let prune = try runDNALC(["prune", "architectures/vgg6-mnist.yaml", "--weights", out + "/final.safetensors", "--out", p] + masks)
            #expect(prune.status == 0, "\(prune.stderr)")
            #expect(prune.stdout.hasSuffix("wrote \(p) and \(dir.path)/p.safetensors\n"))
            #expect(try body(p) == body(out + "/pruned.yaml"))
            // same tensor bytes; only the header's provenance metadata differs
            func tensorBytes(_ path: String) throws -> Data {
                let file = try Data(contentsOf: URL(fileURLWithPath: path))
                let headerSize = file.prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
                return file.dropFirst(8 + headerSize)
            }
            #expect(try tensorBytes(dir.path + "/p.safetensors") == tensorBytes(out + "/pruned.safetensors"))
            #expect(try tensorBytes(out + "/pruned.safetensors").count > 10_000)
            try FileManager.default.removeItem(atPath: p)
        }
        // resuming a finished run changes nothing; a second run into the same directory is refused
        let again = try runDNALC(["search", "architectures/vgg6-mnist.yaml", "--resume", out])
        #expect(again.status == 0, "\(again.stderr)")
        let refused = try runDNALC(["search", "architectures/vgg6-mnist.yaml", "--out", out] + quick)
        #expect(refused.status == 1)
        #expect(refused.stderr == "error: '\(out)' already holds a run; continue it with --resume \(out), or choose another --out\n")
    }

    @Test func refusals() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let wrongData = try runDNALC(["search", "architectures/vgg8-cifar10.yaml", "--out", dir.appendingPathComponent("a").path] + quick)
        #expect(wrongData.status == 1)
        #expect(wrongData.stderr.hasPrefix("error: 'vgg8-cifar10' takes [3,32,32] images, but bundled Fashion-MNIST subset has [1,28,28]"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("a").path))  // nothing left behind
        let badSetting = try runDNALC(["search", "architectures/vgg6-mnist.yaml", "--set", "lamda=1", "--out", dir.appendingPathComponent("b").path])
        #expect(badSetting.status == 1 && badSetting.stderr.hasPrefix("error: unknown setting 'lamda'; did you mean 'lambda'? (the settings: lambda, epochs, ")
                && badSetting.stderr.hasSuffix(", train_limit, test_limit, crop_scale, bad_images)\n"), "\(badSetting.stderr)")
        let noRun = try runDNALC(["search", "architectures/vgg6-mnist.yaml", "--resume", dir.path])
        #expect(noRun.status == 1 && noRun.stderr == "error: '\(dir.path)' is not a dnalc run directory (no readable config.json)\n")
        let noData = try runDNALC(["search", "architectures/vgg6-mnist.yaml", "--data", "/no/such/dir", "--out", dir.appendingPathComponent("c").path])
        #expect(noData.status == 1 && noData.stderr == "error: cannot read data directory '/no/such/dir': no such directory\n")
        let blocker = dir.appendingPathComponent("file")
        try Data().write(to: blocker)
        let unwritable = try runDNALC(["search", "architectures/vgg6-mnist.yaml", "--out", blocker.path + "/run"] + quick)
        #expect(unwritable.status == 1)
        #expect(unwritable.stderr.hasPrefix("error: cannot create the run directory '\(blocker.path)/run'"), "\(unwritable.stderr)")
        // prune: the weights' own masks; nothing written when it fails
        let prunedOut = dir.appendingPathComponent("p.yaml").path
        let notWeights = try runDNALC(["prune", "architectures/vgg6-mnist.yaml", "--weights", blocker.path, "--out", prunedOut])
        #expect(notWeights.status == 1 && notWeights.stderr.contains("not a safetensors file"))
        #expect(!FileManager.default.fileExists(atPath: prunedOut))
        let both = try runDNALC(["search", "architectures/vgg6-mnist.yaml", "--resume", dir.path, "--lambda", "1"])
        #expect(both.status != 0 && both.stderr.contains("--resume continues a run with the settings in its config.json"))
    }

    /// A residual network: the search's pruned network (gathers and scatters), `dnalc prune` of
    /// it, and `--dense`, all evaluate to what the search reported; analyze costs the pruned one
    /// at the log's last hard cost, and the dense one at more.
    @Test func residualNetworksPruneWithChannelMapsOrDense() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("run").path
        let network = "architectures/resnet8-mnist.yaml"
        let r = try runDNALC(["search", network, "--out", out, "--epochs", "1,1,1", "--batch", "64", "--lambda", "0.3",
                              "--set", "train_limit=512", "--set", "test_limit=200"])
        #expect(r.status == 0, "\(r.stderr)")
        let text = try String(contentsOfFile: out + "/pruned.yaml", encoding: .utf8)
        #expect(text.contains("  - scatter: {name: ") && text.contains("  - gather: {name: "))
        let log = try String(contentsOfFile: out + "/log.csv", encoding: .utf8).split(separator: "\n")
        func flops(_ file: String) throws -> Int {
            let a = try runDNALC(["analyze", file, "--format", "json"])
            return ((try JSONSerialization.jsonObject(with: Data(a.stdout.utf8)) as? [String: Any])?["total"] as? [String: Any])?["flops"] as? Int ?? -1
        }
        #expect(String(try flops(out + "/pruned.yaml")) == String(log[3].split(separator: ",")[8]))
        let dense = dir.appendingPathComponent("dense.yaml").path
        let p = try runDNALC(["prune", network, "--weights", out + "/final.safetensors", "--out", dense, "--dense"])
        #expect(p.status == 0, "\(p.stderr)")
        #expect(p.stdout.contains("with gathers and scatters instead (without --dense): "))
        let denseText = try String(contentsOfFile: dense, encoding: .utf8)
        #expect(!denseText.contains("gather:") && !denseText.contains("scatter:"))
        #expect(try flops(dense) >= flops(out + "/pruned.yaml"))
        func eval(_ args: [String]) throws -> [String: Any] {
            let e = try runDNALC(["eval"] + args + ["--limit", "200", "--format", "json"])
            #expect(e.status == 0, "\(e.stderr)")
            return try #require(try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any])
        }
        let gated = try eval([network, "--weights", out + "/final.safetensors"])
        for (file, weights) in [(out + "/pruned.yaml", out + "/pruned.safetensors"), (dense, dir.path + "/dense.safetensors")] {
            let e = try eval([file, "--weights", weights])
            #expect(e["top1"] as? Double == gated["top1"] as? Double && e["top5"] as? Double == gated["top5"] as? Double, "\(file)")
            let (a, b) = (try #require(gated["loss"] as? Double), try #require(e["loss"] as? Double))
            #expect(abs(a - b) <= 1e-5 * a, "\(file)")
        }
    }

    /// eval reproduces the search's own test figures from final.safetensors (hard gates, the
    /// recorded normalisation), and the pruned network gives the same ones.
    @Test func evalReproducesTheSearchAndThePrunedNetwork() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("run").path
        let r = try runDNALC(["search", "architectures/vgg6-mnist.yaml", "--out", out, "--epochs", "2,1,1", "--batch", "64",
                              "--lambda", "0.01", "--set", "train_limit=1024", "--set", "test_limit=200"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))) as? [String: Any])
        let searched = try #require((report["pruned"] as? [String: Any])?["top1"] as? Double)
        func eval(_ args: [String]) throws -> [String: Any] {
            let e = try runDNALC(["eval"] + args + ["--limit", "200", "--format", "json"])
            #expect(e.status == 0, "\(e.stderr)")
            return try #require(try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any])
        }
        let gated = try eval(["architectures/vgg6-mnist.yaml", "--weights", out + "/final.safetensors"])
        let pruned = try eval([out + "/pruned.yaml", "--weights", out + "/pruned.safetensors", "--batch", "7"])
        #expect(gated["images"] as? Int == 200 && gated["normalization"] as? String == "recorded in the weights")
        #expect(gated["top1"] as? Double == searched)
        #expect(searched > 15)  // a few epochs on 1024 images beat chance (10%)
        #expect(pruned["top1"] as? Double == searched && pruned["top5"] as? Double == gated["top5"] as? Double)
        let (a, b) = (try #require(gated["loss"] as? Double), try #require(pruned["loss"] as? Double))
        #expect(abs(a - b) <= 1e-5 * a)

        let table = try runDNALC(["eval", "architectures/vgg6-mnist.yaml", "--weights", out + "/final.safetensors", "--limit", "200"])
        #expect(table.stdout.hasPrefix("vgg6-mnist on bundled Fashion-MNIST subset, 200 test images\ntop1  \(String(format: "%.2f", searched))%\n"))

        // predict: the logits of the gated and the pruned network agree, and their top-1 is eval's
        let labels = try DatasetLoader.bundled().test.labels
        var predicted: [NPY.Array] = []
        for (network, weights) in [("architectures/vgg6-mnist.yaml", out + "/final.safetensors"), (out + "/pruned.yaml", out + "/pruned.safetensors")] {
            let logitsPath = dir.appendingPathComponent("logits.npy").path
            let p = try runDNALC(["predict", network, "--weights", weights, "--input", "bundled", "--output", logitsPath, "--batch", "100"])
            #expect(p.status == 0 && p.stdout == "wrote \(labels.count) x 10 logits to \(logitsPath)\n", "\(p.stderr)")
            predicted.append(try NPY.read(logitsPath))
        }
        let logits = predicted[0]
        #expect(logits.shape == [labels.count, 10])
        #expect(zip(logits.values, predicted[1].values).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($0)) })
        let correct = (0..<200).filter { i in
            let row = logits.values[(i * 10)..<(i * 10 + 10)]
            return row.firstIndex(of: row.max()!)! - i * 10 == Int(labels[i])
        }.count
        #expect(100 * Double(correct) / 200 == searched)

        // a .npy input: one image gives the first row of a batch holding it
        let batch = NPY.Array(shape: [3, 1, 28, 28], values: (0..<(3 * 784)).map { Float(($0 * 7919) % 255) / 64 - 2 })
        try Data(NPY.encode(batch)).write(to: dir.appendingPathComponent("x.npy"))
        try Data(NPY.encode(NPY.Array(shape: [1, 28, 28], values: Array(batch.values.prefix(784))))).write(to: dir.appendingPathComponent("x1.npy"))
        for name in ["x", "x1"] {
            let p = try runDNALC(["predict", out + "/pruned.yaml", "--weights", out + "/pruned.safetensors", "--input", dir.path + "/\(name).npy",
                                  "--output", dir.path + "/\(name)-logits.npy"])
            #expect(p.status == 0, "\(p.stderr)")
        }
        let three = try NPY.read(dir.path + "/x-logits.npy"), one = try NPY.read(dir.path + "/x1-logits.npy")
        #expect(three.shape == [3, 10] && one.shape == [1, 10])
        #expect(zip(one.values, three.values.prefix(10)).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($0)) })
        let wrongShape = try runDNALC(["predict", "architectures/vgg6-mnist.yaml", "--weights", out + "/final.safetensors",
                                       "--input", dir.path + "/x-logits.npy", "--output", dir.path + "/y.npy"])
        #expect(wrongShape.status == 1 && wrongShape.stderr == "error: \(dir.path)/x-logits.npy: shape [3, 10], but 'vgg6-mnist' takes [N, 1, 28, 28] or one [1, 28, 28] image\n")
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/y.npy"))

        // weights whose recorded normalisation is for another input, or damaged
        let file = try SafeTensors.read(out + "/final.safetensors")
        for (text, message) in [("{\"mean\": [0.5, 0.5, 0.5], \"std\": [0.2, 0.2, 0.2]}", "its recorded input normalisation has 3 channels, 'vgg6-mnist' takes 1"),
                                ("{\"mean\": [0.5], \"std\": [-1]}", "its 'dnalc.normalization' metadata is damaged: {\"mean\": [0.5], \"std\": [-1]}")] {
            let edited = dir.path + "/edited.safetensors"
            try SafeTensors.write(file.tensors, metadata: file.metadata.merging([Normalization.metadataKey: text]) { _, new in new }, to: edited)
            for command in ["eval", "predict"] {
                let r = try runDNALC([command, "architectures/vgg6-mnist.yaml", "--weights", edited] + (command == "eval" ? [] : ["--input", "bundled", "--output", dir.path + "/z.npy"]))
                #expect(r.status == 1 && r.stderr == "error: \(edited): \(message)\n", "\(r.stderr)")
            }
        }

        // weights for another network, a missing file, a directory without data
        let wrong = try runDNALC(["eval", "architectures/resnet8-mnist.yaml", "--weights", out + "/final.safetensors"])
        #expect(wrong.status == 1 && wrong.stderr.hasPrefix("error: \(out)/final.safetensors has no tensor 'stem.weight'"), "\(wrong.stderr)")
        let missing = try runDNALC(["eval", "architectures/vgg6-mnist.yaml", "--weights", out + "/nothing.safetensors"])
        #expect(missing.status == 1 && missing.stderr == "error: cannot read '\(out)/nothing.safetensors': no such file\n")
        let noData = try runDNALC(["eval", out + "/pruned.yaml", "--weights", out + "/pruned.safetensors", "--data", dir.path])
        #expect(noData.status == 1 && noData.stderr.hasPrefix("error: '\(dir.path)' holds neither CIFAR-10 binary batches"), "\(noData.stderr)")
    }
}
