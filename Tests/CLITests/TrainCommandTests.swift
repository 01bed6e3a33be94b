import DNALData
import DNALRuntime
import DNALTestSupport
import Foundation
import Testing

/// `dnalc train`: fine-tuning a pruned network from its inherited weights, and the refusals.
@Suite("dnalc train", .timeLimit(.minutes(3)))
struct TrainCommandTests {
    @Test func fineTunesThePrunedNetworkFromItsWeights() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dnalc-cli-train-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let search = dir.appendingPathComponent("search").path
        let limits = ["--set", "train_limit=256", "--set", "test_limit=64"]
        let s = try runDNALC(["search", "architectures/vgg6-mnist.yaml", "--out", search, "--epochs", "1,1,1", "--batch", "32", "--lambda", "0.01"] + limits)
        #expect(s.status == 0, "\(s.stderr)")
        let pruned = search + "/pruned.yaml", prunedWeights = search + "/pruned.safetensors"

        // a tiny learning rate: the conv weights barely move from the inherited ones (never re-initialised)
        let run = dir.appendingPathComponent("train").path
        let t = try runDNALC(["train", pruned, "--weights", prunedWeights, "--epochs", "2", "--lr", "1e-9", "--batch", "32", "--out", run] + limits)
        #expect(t.status == 0, "\(t.stderr)")
        #expect(t.stdout.hasPrefix("dnalc train vgg6-mnist from \(prunedWeights) on bundled Fashion-MNIST subset: 2 epochs, lr 1e-09, batch 32"))
        #expect(t.stdout.contains("\nepoch 1/2  loss ") && t.stdout.contains("\nepoch 2/2  loss "))
        let files = try FileManager.default.contentsOfDirectory(atPath: run).sorted()
        #expect(files == ["checkpoints", "config.json", "final.safetensors", "log.csv", "masks.json", "network.yaml", "report.html", "report.json"])
        let log = try String(contentsOfFile: run + "/log.csv", encoding: .utf8).split(separator: "\n")
        // training's own columns: no phase, beta, gates or costs
        #expect(log.count == 3 && log[0] == "epoch,loss,lr,top1,top5,seconds" && log[1].hasPrefix("1,") && log[2].hasPrefix("2,"))
        let html = try String(contentsOfFile: run + "/report.html", encoding: .utf8)
        #expect(html.contains("<title>dnalc train: vgg6-mnist</title>") && !html.contains("DNAL search") && !html.contains("alpha"))
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/report.json"))) as? [String: Any]
        #expect(report?["training"] != nil && report?["settings"] == nil && report?["lambda"] == nil)
        let before = try SafeTensors.read(prunedWeights), after = try SafeTensors.read(run + "/final.safetensors")
        let w0 = try #require(before.tensors["conv2.weight"]), w1 = try #require(after.tensors["conv2.weight"])
        #expect(w0.shape == w1.shape && zip(w0.values, w1.values).allSatisfy { abs($0 - $1) <= 1e-5 })
        // the weights keep the normalisation they were trained with (the search's 256 images)
        #expect(after.metadata[Normalization.metadataKey] == before.metadata[Normalization.metadataKey])
        #expect(after.metadata[Normalization.metadataKey] != nil)
        let e = try runDNALC(["eval", pruned, "--weights", run + "/final.safetensors", "--limit", "64"])
        #expect(e.status == 0, "\(e.stderr)")

        // a search's run directory is not continued as training, nor a training run as a search
        let crossed = try runDNALC(["train", pruned, "--resume", search])
        #expect(crossed.status == 1 && crossed.stderr == "error: '\(search)' is a run of dnalc search; continue it with dnalc search --resume\n", "\(crossed.stderr)")
        let crossedBack = try runDNALC(["search", pruned, "--resume", run])
        #expect(crossedBack.status == 1 && crossedBack.stderr.contains("is a run of dnalc train"), "\(crossedBack.stderr)")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/config.json"))) as? [String: Any]
        #expect(config?["training"] != nil && config?["settings"] == nil)

        // resuming a finished run changes nothing
        let again = try runDNALC(["train", pruned, "--resume", run])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try String(contentsOfFile: run + "/log.csv", encoding: .utf8).split(separator: "\n") == log)

        // from scratch: a seeded initialisation
        let scratch = dir.appendingPathComponent("scratch").path
        let f = try runDNALC(["train", pruned, "--epochs", "1", "--batch", "32", "--out", scratch] + limits)
        #expect(f.status == 0 && f.stdout.hasPrefix("dnalc train vgg6-mnist on "), "\(f.stderr)")
    }

    @Test func refusals() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dnalc-cli-train-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let weights = dir.appendingPathComponent("w.safetensors").path
        try SafeTensors.write(["conv1.weight": .init(shape: [2, 1, 3, 3], values: [Float](repeating: 0, count: 18))], to: weights)
        let out = dir.appendingPathComponent("run").path
        let wrong = try runDNALC(["train", "architectures/vgg6-mnist.yaml", "--weights", weights, "--out", out])
        #expect(wrong.status == 1 && wrong.stderr == "error: \(weights): tensor 'conv1.weight' has shape [2, 1, 3, 3], this network needs [16, 1, 3, 3]\n", "\(wrong.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))  // nothing written
        let gate = try runDNALC(["train", "architectures/vgg6-mnist.yaml", "--set", "lambda=0.1", "--out", out])
        #expect(gate.status == 1 && gate.stderr == "error: 'lambda' is a search setting; dnalc train takes --epochs and no gate settings\n")
        let zero = try runDNALC(["train", "architectures/vgg6-mnist.yaml", "--epochs", "0"])
        #expect(zero.status != 0 && zero.stderr.contains("--epochs must be at least 1, got 0"))
        let both = try runDNALC(["train", "architectures/vgg6-mnist.yaml", "--resume", dir.path, "--epochs", "3"])
        #expect(both.status != 0 && both.stderr.contains("--resume continues a run with the settings in its config.json"))
    }
}
