import DNALCore
import DNALKernels
import DNALRuntime
import DNALSyntax
import DNALTestSupport
import Testing

/// Fused conv lines compute what the node-by-node plan computes.
@Suite("Fusion")
struct FusionTests {
    /// Pruned residual blocks on trunks of one, two and three vectors of 16 channels, each
    /// block's gather reading the sum just before it, with and without the activation after that
    /// sum: the fused plan hands each gather's gradient to that sum's backward pass.
    static let prunedBlocks = """
        network: pruned-blocks
        input: [3, 8, 8]
        classes: 5
        defaults: {conv: {kernel: 3, padding: 1, bn: true, gate: true}}
        layers:
          - conv: {name: stem, out: 16, act: relu}
          - gather: {name: b1.gather, channels: [0, 2, 5, 7, 9, 12]}
          - conv: {name: b1.conv1, out: 6, act: relu}
          - conv: {name: b1.conv2, out: 5}
          - scatter: {name: b1.scatter, out: 16, channels: [1, 3, 4, 10, 15]}
          - add: {name: b1.add, from: [b1.scatter, stem.act]}
          - relu: {name: b1.act}
          - gather: {name: b2.gather, channels: [1, 3, 4, 8, 14]}
          - conv: {name: b2.conv1, out: 5, act: relu}
          - conv: {name: b2.conv2, out: 4}
          - scatter: {name: b2.scatter, out: 16, channels: [0, 2, 9, 13]}
          - add: {name: b2.add, from: [b2.scatter, b1.act]}
          - relu: {name: b2.act}
          - conv: {name: widen, out: 32, kernel: 1, padding: 0, act: relu}
          - gather: {name: b3.gather, channels: [0, 7, 16, 17, 30, 31]}
          - conv: {name: b3.conv1, out: 6, act: relu}
          - conv: {name: b3.conv2, out: 7}
          - scatter: {name: b3.scatter, out: 32, channels: [1, 5, 15, 16, 20, 29, 31]}
          - add: {name: b3.add, from: [b3.scatter, widen.act]}
          - gather: {name: b4.gather, channels: [2, 5, 15, 16, 21]}
          - conv: {name: b4.conv1, out: 5, act: relu}
          - conv: {name: b4.conv2, out: 3}
          - scatter: {name: b4.scatter, out: 32, channels: [3, 17, 30]}
          - add: {name: b4.add, from: [b4.scatter, b3.add]}
          - relu: {name: b4.act}
          - conv: {name: widen2, out: 48, kernel: 1, padding: 0, act: relu}
          - gather: {name: b5.gather, channels: [0, 20, 33, 47]}
          - conv: {name: b5.conv1, out: 4, act: relu}
          - conv: {name: b5.conv2, out: 3}
          - scatter: {name: b5.scatter, out: 48, channels: [10, 32, 40]}
          - add: {name: b5.add, from: [b5.scatter, widen2.act]}
          - relu: {name: b5.act}
          - gather: {name: b6.gather, channels: [1, 10, 32, 45]}
          - conv: {name: b6.conv1, out: 4, act: relu}
          - conv: {name: b6.conv2, out: 2}
          - scatter: {name: b6.scatter, out: 48, channels: [5, 46]}
          - add: {name: b6.add, from: [b6.scatter, b5.act]}
          - relu: {name: b6.act}
          - gap: {name: pool}
          - linear: {name: fc, out: 5}
        """

    @Test("fused and unfused plans agree", arguments: ["resnet8-mnist.yaml", "mobilenet-tiny-mnist.yaml", "supernet-tiny-mnist.yaml",
                                                       "pruned blocks"])
    func agree(file: String) throws {
        let graph = file == "pruned blocks"
            ? try NetworkParser.parse(source: Array(Self.prunedBlocks.utf8), file: "pruned-blocks.yaml")
            : try NetworkParserShim.parse(Repository.architecture(file).path)
        for mode in Gate.Mode.allCases {
            var results: [([Float], [Float], Double)] = []
            for fuse in [true, false] {
                let (e, labels) = try trainingExecutor(graph, batch: 4, seed: 5, fuse: fuse)
                e.gate.mode = mode
                e.gate.beta = 3
                for entry in e.parameters.entries where entry.name.hasSuffix(".alpha") {
                    e.parameters.set(entry.name, Numerics.random(entry.count, seed: 6, scale: 0.5).map(Float.init))
                }
                results.append(try trainingStep(e, batch: 4, labels: labels))
            }
            #expect(Numerics.firstMismatch(results[0].0, results[1].0, rtol: 1e-4, atol: 1e-5) == nil, "\(file) \(mode) logits")
            let scale = Numerics.maxAbs(results[1].1)
            #expect(Numerics.firstMismatch(results[0].1, results[1].1, rtol: 1e-3, atol: 1e-4 * scale) == nil, "\(file) \(mode) gradients")
            #expect(abs(results[0].2 - results[1].2) < 1e-5)
        }
    }

    /// Each gather of a sum computed just before it is written by that sum's forward step and
    /// read back by its backward step: its output and gradient must be live at those times, or
    /// the planner may hand their memory to a tensor the sum still reads (its branch).
    @Test func gathersFusedWithTheirSumLiveFromAndUntilTheSumsSteps() throws {
        let graph = try NetworkParser.parse(source: Array(Self.prunedBlocks.utf8), file: "pruned-blocks.yaml")
        let e = try Executor(graph: graph, maxBatch: 2, training: true, threads: 1)
        // the step of node k runs backward at time 2L - k + 2, L the last node (the logits)
        let last = graph.nodes.count - 1
        for (gather, sum) in [("b2.gather", "b1.act"), ("b4.gather", "b3.add"), ("b6.gather", "b5.act")] {
            let g = graph.node(named: gather)!.id, s = graph.node(named: sum)!.id
            let output = e.plannedIntervals.first { $0.tensor == .activation(g) }!
            let gradient = e.plannedIntervals.first { $0.tensor == .gradient(g) }!
            #expect(output.start <= s, "\(gather)")
            #expect(gradient.end >= 2 * last - s + 2, "\(gather) gradient until \(gradient.end)")
        }
    }

    /// A training sum whose trunk is an earlier sum read by nothing but it and its fused gather
    /// writes over that trunk, and takes the trunk's gradient in place in its backward pass. Its
    /// forward and backward passes compute what separate tensors give, bit for bit; b3.add's
    /// trunk (widen.act) is a conv's output, and b5.add's (widen2.act) too, so they keep theirs.
    @Test func trainingSumsInPlaceGiveTheSameBits() throws {
        let graph = try NetworkParser.parse(source: Array(Self.prunedBlocks.utf8), file: "pruned-blocks.yaml")
        var results: [([Float], [Float], Double)] = []
        for inPlace in [true, false] {
            let (e, labels) = try trainingExecutor(graph, batch: 4, seed: 9, sumsInPlace: inPlace)
            #expect(e.sumsComputedInPlace == (inPlace ? ["b2.add", "b4.add", "b6.add"] : []))
            #expect(e.planConflicts.isEmpty)
            // twice: a second step must not read what the first left in the shared trunk
            for _ in 0..<2 {
                results.append(try trainingStep(e, batch: 4, labels: labels))
            }
        }
        for k in 0..<2 {
            #expect(results[k].0 == results[2 + k].0, "logits, step \(k)")
            #expect(results[k].1 == results[2 + k].1, "gradients, step \(k)")
            #expect(results[k].2 == results[2 + k].2, "loss, step \(k)")
        }
    }

    @Test func fusionShrinksThePlan() throws {
        let graph = try NetworkParserShim.parse(Repository.architecture("resnet20-cifar10.yaml").path)
        let fused = try Executor(graph: graph, maxBatch: 8, training: true, threads: 1)
        let unfused = try Executor(graph: graph, maxBatch: 8, training: true, threads: 1, fuse: false)
        #expect(fused.stepNames.count < unfused.stepNames.count / 2)
        #expect(fused.arenaFloats < unfused.arenaFloats)
        #expect(fused.planConflicts.isEmpty)
    }
}

@Suite("Inference folding")
struct InferenceFoldingTests {
    @Test("folded batch norm, gate and activation match the node-by-node plan",
          arguments: ["vgg6-mnist.yaml", "resnet8-mnist.yaml", "mobilenet-tiny-mnist.yaml", "mobilenetv2-cifar10.yaml",
                      "supernet-tiny-mnist.yaml"])
    func folding(file: String) throws {
        let graph = try NetworkParserShim.parse(Repository.architecture(file).path)
        let input = Numerics.random(3 * graph.inputShape.elementCount, seed: 8).map(Float.init)
        for mode in Gate.Mode.allCases {
            var logits: [[Float]] = []
            for fuse in [true, false] {
                let e = try Executor(graph: graph, maxBatch: 3, training: false, threads: 2, fuse: fuse)
                e.parameters.initialize(seed: 4)
                e.gate.mode = mode
                e.gate.beta = 4
                for entry in e.parameters.entries {
                    let v = Numerics.random(entry.count, seed: UInt64(entry.offset) + 99)
                    if entry.name.hasSuffix("running_var") { e.parameters.set(entry.name, v.map { Float(0.5 + abs($0)) }) }
                    if entry.name.hasSuffix("running_mean") || entry.name.hasSuffix(".alpha") { e.parameters.set(entry.name, v.map { Float($0 * 0.5) }) }
                    if entry.group == .batchNorm2d && entry.name.hasSuffix(".bias") { e.parameters.set(entry.name, v.map { Float($0) }) }
                    if entry.name.hasSuffix(".mask") { e.parameters.set(entry.name, v.map { $0 > -0.5 ? 1 : 0 }) }
                }
                if fuse && file.hasPrefix("vgg") {
                    // each stage's last conv runs with its max pool (`convPool`)
                    let names = e.stepNames.map(\.name)
                    #expect(names.contains("conv2..pool1") && names.contains("conv4..pool2"), "\(names)")
                }
                e.input.update(from: input, count: input.count)
                try e.forward(batch: 3)
                logits.append(Array(UnsafeBufferPointer(start: e.logits, count: 3 * graph.classes)))
            }
            #expect(Numerics.firstMismatch(logits[0], logits[1], rtol: 1e-4, atol: 1e-5) == nil, "\(file) \(mode)")
        }
    }
}

/// Inference folds gathers and residual sums into their convs (in place on the trunk) where
/// nothing else needs the tensors it removes.
@Suite("Inference residual fusion")
struct InferenceResidualFusionTests {
    /// Three blocks: the first reads and writes part of its trunk through channel maps (fused);
    /// the second's trunk is read again after it, so its sum cannot overwrite it (not fused);
    /// the third ends in a sum without activation whose branch starts with a 1x1 conv (fused).
    static let source = """
        network: fused-maps
        input: [3, 9, 7]
        classes: 4
        layers:
          - conv: {name: stem, out: 6, kernel: 3, padding: 1, bn: true, act: relu}
          - gather: {name: b1.gather, channels: [0, 2, 5]}
          - conv: {name: b1.conv1, out: 4, kernel: 3, padding: 1, bn: true, act: relu}
          - conv: {name: b1.conv2, out: 3, kernel: 3, padding: 1, bn: true}
          - scatter: {name: b1.scatter, out: 6, channels: [1, 2, 4]}
          - add: {name: b1.add, from: [b1.scatter, stem.act]}
          - relu: {name: b1.act}
          - gather: {name: b2.gather, channels: [3, 5]}
          - conv: {name: b2.conv1, out: 2, kernel: 3, padding: 1, bn: true, act: relu}
          - conv: {name: b2.conv2, out: 6, kernel: 3, padding: 1, bn: true}
          - add: {name: b2.add, from: [b2.conv2.bn, b1.act]}
          - relu: {name: b2.act}
          - add: {name: late, from: [b2.act, b1.act]}
          - conv: {name: b3.conv1, out: 5, kernel: 1, bn: true, act: relu}
          - conv: {name: b3.conv2, out: 6, kernel: 3, padding: 1, bn: true}
          - add: {name: b3.add, from: [late, b3.conv2.bn]}
          - gap: {name: pool}
          - linear: {name: fc, out: 4}
        """

    /// An inference executor with random parameters and batch-norm statistics (positive
    /// variances), the same for the fused and the node-by-node plan.
    static func inferenceExecutor(_ graph: Graph, batch: Int, threads: Int, fuse: Bool, seed: UInt64) throws -> Executor {
        let e = try Executor(graph: graph, maxBatch: batch, training: false, threads: threads, fuse: fuse)
        e.parameters.initialize(seed: seed)
        for entry in e.parameters.entries where entry.name.hasSuffix("running_var") || entry.name.hasSuffix(".bias")
            || entry.name.hasSuffix("running_mean") {
            let v = Numerics.random(entry.count, seed: UInt64(entry.offset) + 1)
            e.parameters.set(entry.name, v.map { Float(entry.name.hasSuffix("var") ? 0.5 + abs($0) : $0 * 0.5) })
        }
        return e
    }

    /// The logits of `graph` on one random batch under the node-by-node plan, then the fused plan
    /// with 1 and 2 threads (the same parameters each time); `checkFused` inspects each fused executor.
    static func logitsOfEveryPlan(_ graph: Graph, batch: Int, inputSeed: UInt64, seed: UInt64,
                                  checkFused: (Executor) -> Void) throws -> [[Float]] {
        let input = Numerics.random(batch * graph.inputShape.elementCount, seed: inputSeed).map(Float.init)
        var logits: [[Float]] = []
        for (fuse, threads) in [(false, 1), (true, 1), (true, 2)] {
            let e = try inferenceExecutor(graph, batch: batch, threads: threads, fuse: fuse, seed: seed)
            if fuse { checkFused(e) }
            e.input.update(from: input, count: input.count)
            try e.forward(batch: batch)
            logits.append(Array(UnsafeBufferPointer(start: e.logits, count: batch * graph.classes)))
        }
        return logits
    }

    @Test func foldsWhereTheTrunkIsFreeAndMatchesTheStepByStepPlan() throws {
        let graph = try NetworkParser.parse(source: Array(Self.source.utf8), file: "fused-maps.yaml")
        let batch = 5
        let input = Numerics.random(batch * graph.inputShape.elementCount, seed: 3).map(Float.init)
        var logits: [[Float]] = []
        for (fuse, threads) in [(false, 1), (true, 1), (true, 2)] {
            let e = try Self.inferenceExecutor(graph, batch: batch, threads: threads, fuse: fuse, seed: 7)
            if fuse {
                #expect(e.sumsComputedInPlace == ["b1.add", "b3.add"])
                #expect(!e.stepNames.contains { $0.op == "gather" })
                #expect(e.planConflicts.isEmpty)
            }
            e.input.update(from: input, count: input.count)
            try e.forward(batch: batch)
            // a smaller batch on the same plan, then the full one again: in-place sums must not
            // depend on what the trunk's memory held before
            try e.forward(batch: 2)
            e.input.update(from: input, count: input.count)
            try e.forward(batch: batch)
            logits.append(Array(UnsafeBufferPointer(start: e.logits, count: batch * graph.classes)))
        }
        for k in 1..<logits.count {
            #expect(Numerics.firstMismatch(logits[k], logits[0], rtol: 1e-5, atol: 1e-5) == nil, "plan \(k)")
        }
    }

    @Test func everyResNetSumIsComputedInPlaceStageShortcutsMovedBeforeTheirConv() throws {
        let graph = try NetworkParserShim.parse(Repository.architecture("resnet20-cifar10.yaml").path)
        let e = try Executor(graph: graph, maxBatch: 2, training: false, threads: 1)
        #expect(e.sumsComputedInPlace.count == 9)
        #expect(e.planConflicts.isEmpty)
        let names = e.stepNames.map(\.name)
        #expect(names.firstIndex(of: "stage2.0.shortcut")! < names.firstIndex(of: "stage2.0.conv2")!)
        // each block's two convs run as one step, image by image: no first-conv tensor for the batch
        #expect(!names.contains { $0.hasSuffix(".conv1") })
        let unfused = try Executor(graph: graph, maxBatch: 2, training: false, threads: 1, fuse: false)
        #expect(e.arenaFloats < unfused.arenaFloats)
    }

    /// A stage of pruned blocks on 16-pixel rows. The first sums two scattered inputs (the pruned
    /// stem's channels and its own): the stem's are scattered into a trunk first, which its conv
    /// then adds into in place, and its first conv reads the stem's channels back from that
    /// trunk. The others each read the channels the previous one wrote: all four pairs run as
    /// one chain step (planar on AVX-512). The logits match the node-by-node plan's.
    static let chainSource = """
        network: chained
        input: [3, 16, 16]
        classes: 5
        layers:
          - conv: {name: stem, out: 7, kernel: 3, padding: 1, bn: true, act: relu}
          - scatter: {name: stem.scatter, out: 12, channels: [0, 2, 3, 5, 7, 8, 11]}
          - conv: {name: b0.conv1, from: stem.act, out: 6, kernel: 3, padding: 1, bn: true, act: relu}
          - conv: {name: b0.conv2, out: 6, kernel: 3, padding: 1, bn: true}
          - scatter: {name: b0.scatter, out: 12, channels: [0, 2, 3, 7, 8, 11]}
          - add: {name: b0.add, from: [stem.scatter, b0.scatter]}
          - relu: {name: b0.act}
          - gather: {name: b1.gather, channels: [0, 2, 3, 7, 8, 11]}
          - conv: {name: b1.conv1, out: 8, kernel: 3, padding: 1, bn: true, act: relu}
          - conv: {name: b1.conv2, out: 5, kernel: 3, padding: 1, bn: true}
          - scatter: {name: b1.scatter, out: 12, channels: [1, 4, 6, 9, 10]}
          - add: {name: b1.add, from: [b1.scatter, b0.act]}
          - relu: {name: b1.act}
          - gather: {name: b2.gather, channels: [1, 4, 6, 9, 10]}
          - conv: {name: b2.conv1, out: 16, kernel: 3, padding: 1, bn: true, act: relu}
          - conv: {name: b2.conv2, out: 7, kernel: 3, padding: 1, bn: true}
          - scatter: {name: b2.scatter, out: 12, channels: [0, 2, 3, 5, 7, 8, 11]}
          - add: {name: b2.add, from: [b1.act, b2.scatter]}
          - relu: {name: b2.act}
          - conv: {name: b3.conv1, out: 6, kernel: 3, padding: 1, bn: true, act: relu}
          - conv: {name: b3.conv2, out: 12, kernel: 3, padding: 1, bn: true}
          - add: {name: b3.add, from: [b3.conv2.bn, b2.act]}
          - relu: {name: b3.act}
          - gap: {name: pool}
          - linear: {name: fc, out: 5}
        """

    @Test func consecutiveBlocksRunAsOneChainAndMatchTheStepByStepPlan() throws {
        let graph = try NetworkParser.parse(source: Array(Self.chainSource.utf8), file: "chained.yaml")
        let logits = try Self.logitsOfEveryPlan(graph, batch: 3, inputSeed: 13, seed: 17) { e in
            #expect(e.stepNames.map(\.name).contains("b0.conv2..b3.conv2"), "\(e.stepNames.map(\.name))")
            #expect(e.sumsComputedInPlace == ["b0.add", "b1.add", "b2.add", "b3.add"])
            #expect(e.stepNames.map(\.name).contains("stem.scatter"))
            // the chain writes the stem's scattered channels itself, group by group
            #expect(e.scattersInChains == ["stem.scatter"])
            #expect(e.planConflicts.isEmpty)
        }
        for k in 1..<logits.count {
            #expect(Numerics.firstMismatch(logits[k], logits[0], rtol: 1e-4, atol: 1e-5) == nil, "plan \(k)")
        }
    }

    @Test func trainingPlansKeepEveryTensor() throws {
        let graph = try NetworkParser.parse(source: Array(Self.source.utf8), file: "fused-maps.yaml")
        let e = try Executor(graph: graph, maxBatch: 2, training: true, threads: 1)
        #expect(e.sumsComputedInPlace.isEmpty)
        #expect(e.stepNames.contains { $0.op == "gather" })
    }
}
