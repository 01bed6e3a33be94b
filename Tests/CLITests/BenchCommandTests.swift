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
        // six fused conv lines, two max pools, the global pool, the classifier
        #expect((j["layers"] as? [[String: Any]])?.count == 10)
    }

    @Test func tableNamesTheKernelPathAndThePeak() throws {
        let r = try runDNALC(["bench", "architectures/vgg6-mnist.yaml", "--batch", "2", "--steps", "1", "--isa", "scalar"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("dnalc bench vgg6-mnist: training steps, batch 2, "))
        #expect(r.stdout.contains("scalar kernels"))
        #expect(r.stdout.contains("% of the measured"))
        #expect(r.stdout.contains("slowest layers (ms per step)"))
    }

    @Test func badArgumentsAreRefused() throws {
        let zero = try runDNALC(["bench", "architectures/vgg6-mnist.yaml", "--batch", "0"])
        #expect(zero.status != 0)
        #expect(zero.stderr.contains("--batch must be at least 1, got 0"))
        let huge = try runDNALC(["bench", "architectures/vgg16-imagenet.yaml", "--batch", "100000"])
        #expect(huge.status == 1)
        #expect(huge.stderr.contains("error: 'vgg16-imagenet' at batch 100000 needs"))
        let missing = try runDNALC(["bench", "missing.yaml"])
        #expect(missing.status == 1 && missing.stderr == "error: cannot read 'missing.yaml': no such file\n")
    }
}
