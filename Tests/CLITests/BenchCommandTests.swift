import DNALTestSupport
import Foundation
import Testing

@Suite("dnalc bench", .timeLimit(.minutes(2)))
struct BenchCommandTests {
    @Test("train and infer report throughput in JSON", arguments: ["train", "infer"])
    func json(mode: String) throws {
        let r = try runDNALC(["bench", "architectures/vgg6-mnist.yaml", "--batch", "4", "--steps", "2", "--warmup", "1",
                              "--\(mode)", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(j["mode"] as? String == mode)
        #expect(j["batch"] as? Int == 4)
        #expect((j["images_per_second"] as? Double ?? 0) > 0)
        #expect(["avx512", "avx2", "scalar"].contains(j["isa"] as? String ?? ""))
        #expect((j["peak_gflops"] as? Double ?? 0) > 0)
        // six fused conv lines, two max pools, the global pool, the classifier; inference runs
        // each stage's last conv with its max pool as one step
        let layers = try #require(j["layers"] as? [[String: Any]])
        #expect(layers.count == (mode == "train" ? 10 : 8))
        // a fused conv -> bn -> gate -> relu line is reported as the conv it is
        #expect(layers.first { $0["name"] as? String == "conv3" }?["op"] as? String == "conv")
        if mode == "infer" {
            #expect(layers.first { $0["name"] as? String == "conv2..pool1" }?["op"] as? String == "conv+maxpool")
        }
    }

    @Test func theDataPathIsTimedOnItsOwn() throws {
        let r = try runDNALC(["bench", "architectures/vgg6-mnist.yaml", "--data", "Sources/DNALData/Resources/fashion-mnist-subset", "--batch", "64"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("read           12000 images in ") && r.stdout.contains("batches        one augmented training epoch, 10000 images in "))
        let wrong = try runDNALC(["bench", "architectures/resnet8-cifar10.yaml", "--data", "Sources/DNALData/Resources/fashion-mnist-subset"])
        #expect(wrong.status == 1 && wrong.stderr.contains("takes [3,32,32] images"), "\(wrong.stderr)")
    }

    @Test func inferenceTablesHaveNoBackwardColumn() throws {
        let r = try runDNALC(["bench", "architectures/vgg6-mnist.yaml", "--batch", "2", "--steps", "1", "--infer"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("name          op            forward  % time") && !r.stdout.contains("backward"), "\(r.stdout)")
        #expect(r.stdout.contains("conv3         conv ") && r.stdout.contains("conv2..pool1  conv+maxpool "))
        #expect(r.stdout.contains("MiB peak resident while measuring this network"))
    }

    @Test func tableNamesTheKernelPathAndThePeak() throws {
        let r = try runDNALC(["bench", "architectures/vgg6-mnist.yaml", "--batch", "2", "--steps", "1", "--isa", "scalar"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("dnalc bench vgg6-mnist: training steps, batch 2, "))
        #expect(r.stdout.contains("scalar kernels"))
        #expect(r.stdout.contains("% of the measured"))
        #expect(r.stdout.contains("slowest layers (ms per step)"))
    }

    /// --compare measures a second network the same way: its MACs ratio is exact, the speedup measured.
    @Test func comparesWithAnotherNetwork() throws {
        let half = FileManager.default.temporaryDirectory.appendingPathComponent("dnalc-bench-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: half) }
        let source = try String(contentsOf: Repository.architecture("vgg6-mnist.yaml"), encoding: .utf8)
        try source.replacingOccurrences(of: "network: vgg6-mnist\n", with: "network: vgg6-half\nwidth_multiplier: 0.5\n")
            .write(to: half, atomically: true, encoding: .utf8)
        let r = try runDNALC(["bench", "architectures/vgg6-mnist.yaml", "--compare", half.path, "--batch", "4", "--steps", "2", "--infer",
                              "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let base = try #require(j["base"] as? [String: Any]), other = try #require(j["compare"] as? [String: Any])
        #expect(base["network"] as? String == "vgg6-mnist" && other["network"] as? String == "vgg6-half")
        let (a, b) = (try #require(base["macs_per_image"] as? Int), try #require(other["macs_per_image"] as? Int))
        #expect(b < a / 3)  // half the width: about a quarter of the MACs of every inner conv
        let ratio = try #require(j["macs_ratio"] as? Double)
        #expect(abs(ratio - Double(a) / Double(b)) < 1e-3)
        #expect((j["speedup"] as? Double ?? 0) > 0)
        // each network's own peak resident memory (not the process's maximum twice)
        let rss = (try #require(base["max_rss_bytes"] as? Int), try #require(other["max_rss_bytes"] as? Int))
        #expect(rss.1 > 0 && rss.0 > 0)
        let table = try runDNALC(["bench", "architectures/vgg6-mnist.yaml", "--compare", half.path, "--batch", "2", "--steps", "1"])
        #expect(table.stdout.contains("vgg6-half against vgg6-mnist: "), "\(table.stderr)")
        #expect(table.stdout.contains("x fewer MACs: "))
        let missing = try runDNALC(["bench", "architectures/vgg6-mnist.yaml", "--compare", "missing.yaml"])
        #expect(missing.status == 1 && missing.stderr == "error: cannot read 'missing.yaml': no such file\n")
    }

    @Test func badArgumentsAreRefused() throws {
        let zero = try runDNALC(["bench", "architectures/vgg6-mnist.yaml", "--batch", "0"])
        #expect(zero.status != 0)
        #expect(zero.stderr.contains("--batch must be at least 1, got 0"))
        // --threads is one option group in every command that runs the engine
        for command in [["bench"], ["eval", "--weights", "w.safetensors"], ["predict", "--weights", "w.safetensors", "--input", "x.npy",
                                                                        "--output", "y.npy"], ["search"], ["train"]] {
            let r = try runDNALC([command[0], "architectures/vgg6-mnist.yaml"] + command.dropFirst() + ["--threads", "0"])
            #expect(r.status != 0 && r.stderr.contains("--threads must be at least 1, got 0"), "\(command[0]): \(r.stderr)")
        }
        let huge = try runDNALC(["bench", "architectures/vgg16-imagenet.yaml", "--batch", "100000"])
        #expect(huge.status == 1)
        #expect(huge.stderr.contains("error: 'vgg16-imagenet' at batch 100000 needs"))
        let missing = try runDNALC(["bench", "missing.yaml"])
        #expect(missing.status == 1 && missing.stderr == "error: cannot read 'missing.yaml': no such file\n")
    }
}
