import DNALCore
import DNALData
import DNALKernels
import DNALPasses
import DNALRuntime
import DNALSyntax
import DNALTestSupport
import Foundation
import Testing
@testable import DNALSearch

/// The DNAL search on a few hundred bundled images, so every run takes about a second.
/// A class, so each test's run directories are removed when the test's instance goes.
@Suite("Search", .serialized, .timeLimit(.minutes(5)))
final class SearchTests {
    static let data: DataSplits = try! DatasetLoader.load(directory: nil)
    private var directories: [String] = []

    deinit {
        for dir in directories { try? FileManager.default.removeItem(atPath: dir) }
    }

    func settings(lambda: Double = 0.05, epochs: [Int] = [1, 2, 1], seed: Int = 3) -> SearchSettings {
        var s = SearchSettings()
        s.lambda = lambda
        s.epochs = epochs
        s.batch = 32
        s.learningRates = [0.05, 0.02, 0.02]
        s.seed = seed
        s.trainLimit = 256
        s.testLimit = 128
        return s
    }

    func directory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dnalc-search-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        directories.append(dir)
        return dir
    }

    /// A log's rows without the timing column.
    func rows(_ dir: String) throws -> [String] {
        let text = try String(contentsOfFile: dir + "/log.csv", encoding: .utf8)
        return text.split(separator: "\n").map { line in line.split(separator: ",").dropLast().joined(separator: ",") }
    }

    func graph(_ name: String = "vgg6-mnist") throws -> Graph {
        try NetworkParser.parse(file: Repository.architecture(name + ".yaml").path)
    }

    @Test func betaScheduleMatchesTheReference() {
        var s = SearchSettings()
        s.epochs = [1, 10, 1]
        let betas = (0..<10).map { s.beta(phase2Epoch: $0) }
        let expected = [2.512, 6.310, 15.85, 39.81, 100, 251.2, 631.0, 1585, 3981, 10000]
        for (b, e) in zip(betas, expected) { #expect(abs(b - e) / e < 1e-3) }
    }

    @Test func phasesFreezeWhatTheReferenceFreezesAndTheRegulariserHasItsGradient() throws {
        let run = try SearchRun(graph: try graph(), data: Self.data, settings: settings(), directory: try directory(), threads: 1)
        run.train.parameters.initialize(seed: 1)
        try run.configure(phase: 1, epoch: 0)
        #expect(run.train.gate.mode == .identity)
        let alphaName = "conv3.gate.alpha"
        run.train.parameters.set(alphaName, Numerics.random(32, seed: 2).map(Float.init))
        try run.configure(phase: 2, epoch: 0)
        #expect(run.train.gate.mode == .search && run.train.frozen == [.conv, .batchNorm2d])
        #expect(run.train.parameters.values(of: alphaName).allSatisfy { $0 == 0 })  // every alpha starts at 0
        try run.configure(phase: 2, epoch: 1)
        // regulariser: lambda * sum(sigmoid(alpha)) with gradient lambda * s * (1 - s)
        run.train.parameters.set(alphaName, [Float](repeating: 0, count: 32))
        run.train.parameters.zeroGradients()
        let value = run.addRegulariser()
        #expect(abs(value - 0.05 * 0.5 * 224) < 1e-9)
        #expect(run.train.parameters.gradient(alphaName)[0] == Float(0.05 * 0.25))
        // threshold: keep iff sigmoid(1e4 * alpha) > 0.9, i.e. alpha > ln(9) / 1e4
        run.train.parameters.set(alphaName, [2.3e-4, 2.1e-4, -1, 1] + [Float](repeating: 1, count: 28))
        run.deriveMasks()
        #expect(Array(run.train.parameters.values(of: "conv3.gate.mask").prefix(4)) == [1, 0, 0, 1])
        try run.configure(phase: 3, epoch: 1)
        #expect(run.train.gate.mode == .hard && run.train.frozen == [.alpha])
    }

    @Test func phase2BetaRisesPerEpoch() throws {
        let run = try SearchRun(graph: try graph(), data: Self.data, settings: settings(epochs: [0, 2, 0]), directory: try directory(), threads: 1)
        try run.configure(phase: 2, epoch: 0)
        #expect(abs(Double(run.train.gate.beta) - 100) < 1e-3)
        try run.configure(phase: 2, epoch: 1)
        #expect(abs(Double(run.train.gate.beta) - 1e4) < 1)
    }

    @Test func sameSeedSameRunAndResumeEqualsUninterrupted() throws {
        let g = try graph()
        let a = try directory(), b = try directory()
        let full = try SearchRun(graph: g, data: Self.data, settings: settings(), directory: a, threads: 2).run(resume: false)
        let again = try SearchRun(graph: g, data: Self.data, settings: settings(), directory: b, threads: 2).run(resume: false)
        let logA = try rows(a), logB = try rows(b)
        #expect(logA == logB)
        #expect(logA.count == 5)
        #expect(full.pruned.flops == again.pruned.flops)

        // interrupt after two epochs, then resume
        let c = try directory()
        let first = try SearchRun(graph: g, data: Self.data, settings: settings(), directory: c, threads: 2)
        var epochs = 0
        first.onEpoch = { _ in epochs += 1 }
        first.shouldStop = { epochs >= 2 }
        #expect(throws: SearchError("interrupted")) { try first.run(resume: false) }
        let resumed = try SearchRun(graph: g, data: Self.data, settings: settings(), directory: c, threads: 2).run(resume: true)
        #expect(resumed.pruned == full.pruned)
        let final1 = try SafeTensors.read(a + "/final.safetensors").tensors, final2 = try SafeTensors.read(c + "/final.safetensors").tensors
        #expect(final1 == final2)  // bit-identical weights
        let logC = try rows(c)
        #expect(logC == logA)
    }

    @Test func lambdaSweepPrunesMoreAsLambdaGrows() throws {
        var flops: [Int] = []
        var kept: [Int] = []
        for lambda in [0.0, 0.01, 0.03, 0.05] {
            var s = settings(lambda: lambda, epochs: [2, 4, 1])
            s.trainLimit = 1024
            let r = try SearchRun(graph: try graph(), data: Self.data, settings: s, directory: try directory(), threads: 2)
                .run(resume: false)
            flops.append(r.pruned.flops)
            kept.append(r.keptGates)
        }
        // lambda = 0: cross-entropy alone moves some alphas below 0 on a short schedule (87% kept
        // on the bundled data with 2+4+1 epochs); here at least three quarters of 224 remain
        #expect(kept[0] >= 168, "\(kept)")
        #expect(kept[3] < 224 / 3)  // a large lambda prunes most
        #expect(zip(flops, flops.dropFirst()).allSatisfy { $0 >= $1 }, "\(flops)")
    }

    @Test func theMasksCostWhatTheLogSays() throws {
        let g = try graph("resnet8-mnist"), dir = try directory()
        let report = try SearchRun(graph: g, data: Self.data, settings: settings(lambda: 0.02), directory: dir, threads: 2).run(resume: false)
        let masks = try MasksFile.read(dir + "/masks.json", for: g)
        let cost = computeCost(g, convention: .dnal, masks: computeChannelMasks(g, gates: masks))
        let last = try String(contentsOfFile: dir + "/log.csv", encoding: .utf8).split(separator: "\n").last!.split(separator: ",")
        #expect(cost.totalFLOPs == report.pruned.flops)
        #expect(String(cost.totalFLOPs) == String(last[8]))
    }

    /// Without a gate phase, fine-tuning keeps the masks the weights hold (all open from a fresh
    /// initialisation) instead of binarising alphas that were never learned.
    @Test func withoutAGatePhaseTheMasksAreTheWeights() throws {
        let g = try graph("vgg6-mnist"), dir = try directory()
        let report = try SearchRun(graph: g, data: Self.data, settings: settings(epochs: [1, 0, 1]), directory: dir, threads: 2).run(resume: false)
        #expect(report.keptGates == report.gates)
        #expect(report.pruned.flops == computeCost(g, convention: .dnal).totalFLOPs)
    }

    /// Phase 3 trains the reference's masked network: a block's first conv no longer reads the
    /// trunk channels the previous block's output gate closed, although the shortcut carries them.
    @Test func phase3TrainsTheReferenceMaskedWeights() throws {
        let g = try graph("resnet8-mnist"), dir = try directory()
        _ = try SearchRun(graph: g, data: Self.data, settings: settings(lambda: 0.02), directory: dir, threads: 2).run(resume: false)
        let masks = try MasksFile.read(dir + "/masks.json", for: g)
        let channelMasks = computeChannelMasks(g, gates: masks)
        let weights = try SafeTensors.read(dir + "/final.safetensors").tensors
        var trunkColumnsCut = 0
        for node in g.nodes {
            guard case .conv(let c) = node.op, c.groups == 1, let columns = channelMasks.columns[node.id] else { continue }
            let w = try #require(weights[node.name + ".weight"])   // [Cout, Cin, K, K]
            let cin = columns.count, taps = c.kernel * c.kernel
            for i in 0..<cin where !columns[i] {
                #expect((0..<c.outChannels).allSatisfy { o in (0..<taps).allSatisfy { w.values[(o * cin + i) * taps + $0] == 0 } },
                        "\(node.name) column \(i)")
                if case .add = g.nodes[g.nodes[node.inputs[0]].inputs.first ?? 0].op { trunkColumnsCut += 1 }
            }
        }
        #expect(trunkColumnsCut > 0)  // the case gates alone get wrong was exercised
    }

    /// Fine-tuning weights whose masks close a residual block's first gate: the block's second
    /// conv reads nothing, so its open channels are dead and stay exactly zero (bias-free conv,
    /// batch-norm scale and shift 0), as the pruner and the cost take them.
    @Test func fineTuningHoldsDeadChannelsAtZero() throws {
        let g = try graph("resnet8-mnist"), dir = try directory()
        let e = try Executor(graph: g, maxBatch: 1, training: false, threads: 1)
        e.parameters.initialize(seed: 5)
        e.parameters.set("stage2.0.conv1.gate.mask", [Float](repeating: 0, count: 32))
        _ = try SearchRun(graph: g, data: Self.data, settings: settings(epochs: [0, 0, 1]), directory: dir, threads: 2,
                          initialWeights: (e.parameters.exportTensors(), "test")).run(resume: false)
        let weights = try SafeTensors.read(dir + "/final.safetensors").tensors
        for name in ["stage2.0.conv2.bn.weight", "stage2.0.conv2.bn.bias"] {
            #expect(try #require(weights[name]).values.allSatisfy { $0 == 0 }, "\(name)")
        }
        // the next block still reads the trunk through its live channels: its BN keeps learning
        #expect(try #require(weights["stage3.0.conv1.bn.bias"]).values.contains { $0 != 0 })
    }

    @Test func badInputsAreRefused() throws {
        #expect(throws: SearchError("'vgg8-cifar10' takes [3,32,32] images, but bundled Fashion-MNIST subset has [1,28,28]; choose a network made for this data (architectures/*-mnist.yaml for 28x28 grey images)")) {
            try SearchRun(graph: try graph("vgg8-cifar10"), data: Self.data, settings: settings(), directory: try directory(), threads: 1)
        }
        let dir = try directory()
        try FileManager.default.createDirectory(atPath: dir + "/checkpoints", withIntermediateDirectories: true)
        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: dir + "/checkpoints/last.safetensors"))
        #expect(throws: RuntimeError.self) {
            try SearchRun(graph: try graph(), data: Self.data, settings: settings(), directory: dir, threads: 1).run(resume: true)
        }
        // a regulariser that closes a whole plain chain: the run stops before fine-tuning a cut network
        #expect(throws: SearchError.self) {
            try SearchRun(graph: try graph(), data: Self.data, settings: settings(lambda: 50), directory: try directory(), threads: 2).run(resume: false)
        }
        var s = settings()
        #expect(throws: SearchError("unknown setting 'lamda'; did you mean 'lambda'? (the settings: \(SearchSettings.keys.joined(separator: ", ")))")) {
            try s.set("lamda", "1")
        }
        #expect(SearchSettings.keys.contains("train_limit") && SearchSettings.keys.contains("test_limit"))
        #expect(throws: SearchError("'epochs' takes one value or three (phase 1, 2, 3), got 2")) { try s.set("epochs", "1,2") }
        #expect(throws: SearchError("threshold must be in (0, 1), got 1.5")) { try s.set("threshold", "1.5") }
    }
}

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite("report.html")
struct ReportHTMLTests {
    final class Counter: NSObject, XMLParserDelegate {
        var svgs = 0, rects = 0
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if name == "svg" { svgs += 1 }
            if name == "rect" { rects += 1 }
        }
    }

    @Test func aSelfContainedPageWithItsCharts() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dnalc-html-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var s = SearchSettings()
        (s.lambda, s.epochs, s.batch, s.trainLimit, s.testLimit) = (0.01, [1, 1, 1], 32, 128, 64)
        let g = try NetworkParser.parse(file: Repository.architecture("vgg6-mnist.yaml").path)
        let report = try SearchRun(graph: g, data: SearchTests.data, settings: s, directory: dir, threads: 2).run(resume: false)
        let html = try String(contentsOfFile: dir + "/report.html", encoding: .utf8)
        let counter = Counter()
        let parser = XMLParser(data: Data(html.utf8))
        parser.delegate = counter
        #expect(parser.parse(), "report.html is not well-formed: \(String(describing: parser.parserError))")
        // kept channels, loss, top-1, FLOPs, alphas
        #expect(counter.svgs == 5)
        // charts in real units: FLOPs ticks in the page's number format, axes labelled, phases marked
        #expect(html.contains(">FLOPs (dnal convention)</text>") && html.contains("M</text>"))
        #expect(html.contains(">test top-1 (%)</text>") && html.contains(">mean training loss</text>") && html.contains(">final alpha</text>"))
        #expect(html.contains(">phase 2</text>") && html.contains(">phase 3</text>"))
        #expect(html.contains(">0</text>"))
        #expect(counter.rects >= 2 * 6 + 40)  // paired bars for the 6 gated layers, the histogram's 40 bins
        #expect(html.contains("\(report.keptGates) of 224 gate channels kept"))
        // self-contained: no scripts, nothing loaded from elsewhere
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("href="))
    }
}
