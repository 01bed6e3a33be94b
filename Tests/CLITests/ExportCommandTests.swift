import DNALTestSupport
import Foundation
import Testing

/// `dnalc export`: writes the model atomically, refuses what it cannot export. onnxruntime's
/// agreement with dnalc is checked by scripts/check-onnx.py (run by .ci/run).
@Suite("dnalc export", .timeLimit(.minutes(2)))
struct ExportCommandTests {
    @Test func writesTheModelAndRefusesBadInput() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dnalc-cli-export-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run").path
        let t = try runDNALC(["train", "architectures/resnet8-mnist.yaml", "--epochs", "1", "--batch", "32", "--out", run,
                              "--set", "train_limit=64", "--set", "test_limit=32"])
        #expect(t.status == 0, "\(t.stderr)")
        let model = dir.appendingPathComponent("m.onnx").path
        let e = try runDNALC(["export", "architectures/resnet8-mnist.yaml", "--weights", run + "/final.safetensors", "--onnx", model])
        #expect(e.status == 0, "\(e.stderr)")
        #expect(e.stdout.hasPrefix("wrote \(model) (") && e.stdout.hasSuffix(" bytes, opset 13, 35 layers)\n"), "\(e.stdout)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: model))
        #expect(bytes.count > 100_000 && bytes.prefix(2) == Data([0x08, 0x08]))  // ir_version 8 first
        let other = dir.appendingPathComponent("o.onnx").path
        let wrong = try runDNALC(["export", "architectures/vgg6-mnist.yaml", "--weights", run + "/final.safetensors", "--onnx", other])
        #expect(wrong.status == 1 && wrong.stderr.contains("are these weights for another network?"), "\(wrong.stderr)")
        #expect(!FileManager.default.fileExists(atPath: other))
        let suffix = try runDNALC(["export", "architectures/vgg6-mnist.yaml", "--weights", run + "/final.safetensors", "--onnx", dir.path + "/m.bin"])
        #expect(suffix.status != 0 && suffix.stderr.contains("--onnx must name a .onnx file"))

        // PyTorch: model.py alone, or with the weights and normalisation copied beside it
        let torchDir = dir.appendingPathComponent("torch").path
        let p = try runDNALC(["export", "architectures/resnet8-mnist.yaml", "--weights", run + "/final.safetensors", "--pytorch", torchDir])
        #expect(p.status == 0 && p.stdout == "wrote model.py, weights.safetensors, normalization.json into \(torchDir) (resnet8-mnist, 35 layers)\n",
                "\(p.stdout)\(p.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: torchDir + "/weights.safetensors")) == Data(contentsOf: URL(fileURLWithPath: run + "/final.safetensors")))
        let normalization = try String(contentsOfFile: torchDir + "/normalization.json", encoding: .utf8)
        #expect(normalization.hasPrefix("{\"mean\": [") && normalization.contains("\"std\": ["))
        let bare = try runDNALC(["export", "architectures/vgg6-mnist.yaml", "--pytorch", dir.appendingPathComponent("bare").path])
        #expect(bare.status == 0 && FileManager.default.fileExists(atPath: dir.appendingPathComponent("bare/model.py").path))
        let blocked = try runDNALC(["export", "architectures/vgg6-mnist.yaml", "--pytorch", run + "/final.safetensors/sub"])
        #expect(blocked.status == 1 && blocked.stderr.hasPrefix("error: cannot create '\(run)/final.safetensors/sub': "), "\(blocked.stderr)")
        let neither = try runDNALC(["export", "architectures/vgg6-mnist.yaml"])
        #expect(neither.status != 0 && neither.stderr.contains("give one of --onnx FILE.onnx or --pytorch DIR"))
        let noWeights = try runDNALC(["export", "architectures/vgg6-mnist.yaml", "--onnx", other])
        #expect(noWeights.status != 0 && noWeights.stderr.contains("--onnx needs --weights"))
        let wrongTorch = try runDNALC(["export", "architectures/vgg6-mnist.yaml", "--weights", run + "/final.safetensors", "--pytorch", dir.appendingPathComponent("w").path])
        #expect(wrongTorch.status == 1 && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("w/model.py").path))
    }
}
