import DNALTestSupport
import Foundation
import Testing

@Suite("dnalc analyze", .timeLimit(.minutes(2)))
struct AnalyzeCommandTests {
    func json(_ args: [String]) throws -> [String: Any] {
        let r = try runDNALC(["analyze", "--format", "json"] + args)
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    @Test("JSON totals of the CIFAR-10 networks", arguments: [
        ("vgg16-cifar10", 313_472_778, 14_990_922), ("resnet56-cifar10", 125_487_738, 853_018),
        ("mobilenetv2-cifar10", 91_172_498, 2_296_922),
    ])
    func cifarTotals(name: String, flops: Int, params: Int) throws {
        let report = try json(["architectures/\(name).yaml"])
        let total = try #require(report["total"] as? [String: Any])
        #expect(total["flops"] as? Int == flops)
        #expect(total["params"] as? Int == params)
        #expect(report["network"] as? String == name)
        #expect(report["convention"] as? String == "dnal")
        let layers = try #require(report["layers"] as? [[String: Any]])
        #expect(layers.reduce(0) { $0 + ($1["flops"] as? Int ?? 0) } == flops)
        #expect(Set(layers.first!.keys).isSuperset(of: ["name", "op", "output", "flops", "params"]))
    }

    @Test func tableHeaderTotalsAndFolding() throws {
        let r = try runDNALC(["analyze", "architectures/resnet56-cifar10.yaml"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("network resnet56-cifar10: input [3,32,32], 10 classes, 55 gate layers (2,032 gates)"))
        #expect(r.stdout.contains("convention dnal: FLOPs = conv/linear MACs"))
        #expect(r.stdout.contains("stage2.0.conv1     conv+bn+gate+relu  16->32"))
        #expect(r.stdout.contains("853,018  125,487,738   100.00"))
        #expect(r.stdout.contains("(0.85M)    (125.49M)"))
    }

    @Test func conventionsCsvAndMarkdown() throws {
        let macs = try json(["architectures/resnet50-imagenet.yaml", "--convention", "macs"])
        #expect((macs["total"] as? [String: Any])?["params"] as? Int == 25_557_032)
        let csv = try runDNALC(["analyze", "architectures/vgg8-cifar10.yaml", "--format", "csv"])
        let lines = csv.stdout.split(separator: "\n")
        #expect(lines.first == "name,op,input,output,flops,params")
        #expect(lines.contains("conv1,conv,3x32x32,16x32x32,442368,432"))
        #expect(lines.last == "total,,,,11060202,146938")
        let md = try runDNALC(["analyze", "architectures/vgg8-cifar10.yaml", "--format", "markdown"])
        #expect(md.stdout.contains("| name | op | channels | output | params | FLOPs | % FLOPs |"))
        #expect(md.stdout.contains("Total: 11.06M FLOPs, 0.15M params."))
        // the macs convention names its column for what it counts
        let macsTable = try runDNALC(["analyze", "architectures/vgg8-cifar10.yaml", "--convention", "macs", "--format", "markdown"])
        #expect(macsTable.stdout.contains("| name | op | channels | output | params | MACs | % MACs |"))
        #expect(!macsTable.stdout.contains("FLOPs"))
        let groupsCSV = try runDNALC(["analyze", "architectures/vgg8-cifar10.yaml", "--groups", "--format", "csv"])
        #expect(groupsCSV.status != 0 && groupsCSV.stderr.contains("--groups has no CSV form"))
    }

    @Test func compareGivesThePaperTablesRatios() throws {
        let r = try runDNALC(["analyze", "architectures/vgg16-cifar10.yaml", "--compare", "architectures/resnet56-cifar10.yaml"])
        #expect(r.status == 0)
        // rows are named by file: a pruned network usually keeps its parent's name
        #expect(r.stdout.contains("architectures/vgg16-cifar10.yaml             313.47M"))
        #expect(r.stdout.contains("architectures/resnet56-cifar10.yaml  125.49M (2.50x)  0.85M (17.57x)          60.0%           94.3%"))
        let j = try json(["architectures/vgg16-cifar10.yaml", "--compare", "architectures/resnet56-cifar10.yaml"])
        let c = try #require(j["comparison"] as? [String: Any])
        #expect(c["flops_ratio"] as? Double == 2.498)
    }

    @Test func groupsAndIR() throws {
        let r = try runDNALC(["analyze", "architectures/mobilenet-tiny-mnist.yaml", "--groups"])
        #expect(r.stdout.contains("group 3: 32 channels, depthwise, 1 gate"))
        #expect(r.stdout.contains("  written by: block1.expand, block1.dw"))
        let ir = try runDNALC(["analyze", "architectures/resnet8-cifar10.yaml", "--ir"])
        let golden = Repository.root.appendingPathComponent("Tests/DNALSyntaxTests/Golden/resnet8-cifar10.ir")
        #expect(ir.stdout == (try String(contentsOf: golden, encoding: .utf8)))
        let j = try json(["architectures/resnet8-cifar10.yaml", "--groups"])
        // input, the trunk lineages of the stem / stage-2 padding / stage-3 padding, three conv1 chains
        #expect((j["groups"] as? [[String: Any]])?.map { $0["width"] as? Int } == [3, 16, 16, 32, 16, 64, 32])
    }

    @Test func badInputExitsOneWithALocatedMessage() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dnalc-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("bad.yaml")
        try "network: t\ninput: [3, 8, 8]\nclasses: 2\nlayers:\n  - conv: {out: 4, strde: 2}\n".write(to: file, atomically: true, encoding: .utf8)
        let r = try runDNALC(["analyze", file.path])
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.first == "\(file.path):5:20: error: conv has no attribute 'strde'; did you mean 'stride'?")
        #expect(lines.dropFirst().first == "    - conv: {out: 4, strde: 2}")
        #expect(lines.dropFirst(2).first == "                     ^")

        let missing = try runDNALC(["analyze", "no/such/file.yaml"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "error: cannot read 'no/such/file.yaml': no such file\n")

        let compareMissing = try runDNALC(["analyze", "architectures/vgg8-cifar10.yaml", "--compare", "nope.yaml"])
        #expect(compareMissing.status == 1)
        #expect(compareMissing.stdout.isEmpty)
    }

    @Test func unknownFlagsAreUsageErrors() throws {
        let r = try runDNALC(["analyze", "architectures/vgg8-cifar10.yaml", "--convention", "gflops"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("gflops"))
    }
}

@Suite("dnalc analyze --masks", .timeLimit(.minutes(2)))
struct AnalyzeMasksTests {
    @Test func costsTheMaskedNetwork() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dnalc-masks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let widths = [("conv1.gate", 16), ("conv2.gate", 16), ("conv3.gate", 32), ("conv4.gate", 32), ("conv5.gate", 64),
                      ("conv6.gate", 64), ("conv7.gate", 64), ("conv8.gate", 64)]
        let gates = widths.map { "\"\($0.0)\": [" + (0..<($0.1 / 2)).map(String.init).joined(separator: ",") + "]" }.joined(separator: ", ")
        let file = dir.appendingPathComponent("half.json")
        try #"{"network": "vgg8-cifar10", "gates": {\#(gates)}}"#.write(to: file, atomically: true, encoding: .utf8)
        let r = try runDNALC(["analyze", "architectures/vgg8-cifar10.yaml", "--masks", file.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("vgg8-cifar10 with half.json"))
        // halving every layer's filters and inputs leaves about a quarter of the MACs
        let j = try runDNALC(["analyze", "architectures/vgg8-cifar10.yaml", "--masks", file.path, "--format", "json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        let masked = (report["total"] as? [String: Any])?["flops"] as? Int ?? 0
        #expect(masked > 11_060_202 / 5 && masked < 11_060_202 / 3)
        #expect(((report["comparison"] as? [String: Any])?["flops_ratio"] as? Double ?? 0) > 3)

        let wrong = try runDNALC(["analyze", "architectures/resnet8-cifar10.yaml", "--masks", file.path])
        #expect(wrong.status == 1)
        #expect(wrong.stderr == "error: \(file.path): these masks are for 'vgg8-cifar10', not 'resnet8-cifar10'\n")
        let both = try runDNALC(["analyze", "architectures/vgg8-cifar10.yaml", "--masks", file.path, "--compare", "architectures/vgg6-mnist.yaml"])
        #expect(both.status != 0 && both.stderr.contains("--masks and --compare cannot be combined"))
        // no gate closes entirely: the reference counter agrees, and says so
        #expect(r.stdout.contains("the reference counter gives the same figure"))
        #expect((report["reference"] as? [String: Any])?["flops"] as? Int == masked)
    }

    @Test func aClosedBlockGateGivesTheReferenceCounterItsOwnFigure() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dnalc-masks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("closed.json")
        let widths = [("stem.gate", 16), ("stage1.0.conv1.gate", 16), ("stage1.0.conv2.gate", 16), ("stage2.0.conv1.gate", 32),
                      ("stage2.0.conv2.gate", 0), ("stage3.0.conv1.gate", 64), ("stage3.0.conv2.gate", 64)]
        let gates = widths.map { "\"\($0.0)\": [" + (0..<$0.1).map(String.init).joined(separator: ",") + "]" }.joined(separator: ", ")
        try #"{"network": "resnet8-cifar10", "gates": {\#(gates)}}"#.write(to: file, atomically: true, encoding: .utf8)
        let j = try runDNALC(["analyze", "architectures/resnet8-cifar10.yaml", "--masks", file.path, "--format", "json"])
        #expect(j.status == 0, "\(j.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        let compact = try #require((report["total"] as? [String: Any])?["flops"] as? Int)
        let reference = try #require((report["reference"] as? [String: Any])?["flops"] as? Int)
        // the reference still counts stage2.0.conv1 (32x16x9 weights at 16x16, + 32 for its BN)
        // and stage3.0.conv2, which the compact network drops with stage3.0.conv1
        #expect(reference - compact >= 32 * 16 * 9 * 256 + 32)
        let t = try runDNALC(["analyze", "architectures/resnet8-cifar10.yaml", "--masks", file.path])
        #expect(t.stdout.contains("  by the reference counter"))
        #expect(t.stdout.contains("also counts the convs in front of a gate that closes entirely"))
    }
}
