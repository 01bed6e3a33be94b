import DNALCore
import DNALData
import DNALRuntime
import DNALTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `--data` with an image folder (train/CLASS/*, val/CLASS/*), end to end: a search that is killed
/// and resumed ends as the uninterrupted one, eval and predict read images, the PyTorch backend
/// refuses the folder before creating anything, and ResNet-50 searches on a generated ImageNet-shaped
/// folder (1,000 classes of small JPEG and PNG images).
@Suite("dnalc with image folders", .serialized, .timeLimit(.minutes(6)))
struct ImageFolderCommandTests {
    static let bundled = try! DatasetLoader.bundled()

    func temporary() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dnalc-images-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The bundled images as PNG files: 400 training, 100 validation.
    func fashionFolder(_ root: String) throws {
        for (split, d, count) in [("train", Self.bundled.train, 400), ("val", Self.bundled.test, 100)] {
            for i in 0..<count {
                let dir = "\(root)/\(split)/\(["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"][Int(d.labels[i])])"
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try PNGWriter.write("\(dir)/\(i).png", width: 28, height: 28, channels: 1, pixels: Array(d.images[(i * 784)..<((i + 1) * 784)]))
            }
        }
    }

    func log(_ run: String) throws -> [String] {
        try String(contentsOfFile: run + "/log.csv", encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).dropLast().joined(separator: ",") }
    }

    func json(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    @Test func searchResumesEvaluatesAndPredictsFromAFolder() throws {
        let root = try temporary()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let data = root + "/fashion"
        try fashionFolder(data)
        let args = ["search", "architectures/vgg6-mnist.yaml", "--data", data, "--epochs", "1,1,1", "--batch", "32", "--lambda", "0.02",
                    "--threads", "2"]
        let reference = root + "/reference"
        let r = try runDNALC(args + ["--out", reference])
        #expect(r.status == 0, "\(r.stderr)")
        let config = try json(reference + "/config.json")
        #expect(config["classNames"] as? [String] == ["bag", "boot", "coat", "dress", "pullover", "sandal", "shirt", "sneaker", "trouser", "tshirt"])
        #expect(config["images"] as? [String: Int] == ["train": 400, "test": 100])
        let report = try json(reference + "/report.json")
        #expect((report["data"] as? String)?.contains("10 classes; 400 training and 100 val images") == true)
        #expect((report["class_names"] as? [String])?.count == 10)

        // killed after its first epoch, then resumed: the same log, masks and pruned network
        let run = root + "/killed"
        let p = Process()
        p.executableURL = dnalcBinary()
        p.arguments = args + ["--out", run]
        p.currentDirectoryURL = Repository.root
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        while p.isRunning && !FileManager.default.fileExists(atPath: run + "/log.csv") { usleep(5_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        let resumed = try runDNALC(["search", "architectures/vgg6-mnist.yaml", "--data", data, "--resume", run, "--threads", "2"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try log(run) == log(reference))
        #expect(try String(contentsOfFile: run + "/pruned.yaml", encoding: .utf8) == String(contentsOfFile: reference + "/pruned.yaml", encoding: .utf8))

        // eval on the folder's val split gives the report's pruned top-1
        let eval = try runDNALC(["eval", reference + "/pruned.yaml", "--weights", reference + "/pruned.safetensors", "--data", data, "--format", "json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let top1 = (try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])?["top1"] as? Double
        #expect(top1 == (report["pruned"] as? [String: Any])?["top1"] as? Double)

        // predict one image file, and a folder of them, with the class each gets
        let image = data + "/val/bag/" + (try FileManager.default.contentsOfDirectory(atPath: data + "/val/bag").sorted()[0])
        let one = try runDNALC(["predict", reference + "/pruned.yaml", "--weights", reference + "/pruned.safetensors", "--input", image,
                                "--output", root + "/one.npy"])
        #expect(one.status == 0 && one.stdout.contains("\(image): class ") && one.stdout.contains("wrote 1 x 10 logits"), "\(one.stderr)")
        let folder = try runDNALC(["predict", reference + "/pruned.yaml", "--weights", reference + "/pruned.safetensors",
                                   "--input", data + "/val/bag", "--output", root + "/bags.npy"])
        let bags = try FileManager.default.contentsOfDirectory(atPath: data + "/val/bag").count
        #expect(folder.status == 0 && folder.stdout.contains("wrote \(bags) x 10 logits"), "\(folder.stderr)")
        #expect(try NPY.read(root + "/bags.npy").shape == [bags, 10])

        // the PyTorch backend does not read image folders: refused before the run directory exists
        let torch = try runDNALC(args + ["--engine", "torch", "--launch", "none", "--out", root + "/torch"])
        #expect(torch.status != 0 && torch.stderr.contains("an image folder trains on the native engine"), "\(torch.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root + "/torch"))
    }

    @Test func resnet50SearchesAnImageNetShapedFolder() throws {
        let root = try temporary()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // 1,000 classes, one image each per split: PNG, mostly 24-63 pixels a side (small: resized
        // whole), every 50th 300x260 (cropped: a random resized crop, or the centre for evaluation)
        var rng = SeededRandom(seed: 11)
        for split in ["train", "val"] {
            for c in 0..<1000 {
                let dir = "\(root)/imagenet/\(split)/n\(String(format: "%05d", c))"
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                let large = c % 50 == 0
                let w = large ? 300 : 24 + Int(rng.next() % 40), h = large ? 260 : 24 + Int(rng.next() % 40)
                let seed = UInt8(c & 0xFF)
                let pixels = (0..<(w * h * 3)).map { UInt8(truncatingIfNeeded: $0 &* 31) &+ seed }
                try PNGWriter.write("\(dir)/\(c).png", width: w, height: h, channels: 3, pixels: pixels)
            }
        }
        let run = root + "/run"
        let r = try runDNALC(["search", "architectures/resnet50-imagenet.yaml", "--data", root + "/imagenet", "--epochs", "1,1,0",
                              "--batch", "4", "--set", "train_limit=8", "--set", "test_limit=4", "--threads", "2", "--out", run])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("phase 2 gates 1/1") && r.stdout.contains("\npruned "), "\(r.stdout)")
        let config = try json(run + "/config.json")
        #expect((config["classNames"] as? [String])?.count == 1000)
        #expect(FileManager.default.fileExists(atPath: run + "/pruned.yaml"))
    }
}
