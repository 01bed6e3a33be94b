import DNALCore
import DNALKernels
import DNALPasses
import DNALRuntime
import DNALSyntax
import DNALTestSupport
import Testing

/// The pruner: the compact network computes what the hard-gated one does, costs what the
/// reference counter says, and round-trips through the DSL.
@Suite("Pruning plain chains")
struct PruneTests {
    static let networks = ["vgg6-mnist", "vgg8-cifar10", "vgg16-cifar10"]

    func randomMasks(_ g: Graph, seed: UInt64, closing fraction: Double) -> GateMasks {
        var rng = SeededRandom(seed: seed)
        var m = GateMasks.allOpen(g)
        for id in m.keep.keys.sorted() {
            for c in m.keep[id]!.indices where rng.uniform() < fraction { m.keep[id]![c] = false }
            if !m.keep[id]!.contains(true) { m.keep[id]![0] = true }
        }
        return m
    }

    @Test("pruned == hard-gated, cost == the reference's masked cost", arguments: networks)
    func equivalence(name: String) throws {
        let g = try NetworkParser.parse(file: Repository.architecture(name + ".yaml").path)
        for (seed, fraction) in [(1, 0.0), (2, 0.3), (3, 0.7)] as [(UInt64, Double)] {
            let masks = randomMasks(g, seed: seed, closing: fraction)
            let pruned = try pruneGatedChannels(g, gates: masks)
            #expect(verify(pruned.graph).isEmpty)
            let maskedCost = computeCost(g, convention: .dnal, masks: computeChannelMasks(g, gates: masks))
            let prunedCost = computeCost(pruned.graph, convention: .dnal)
            #expect(prunedCost.totalFLOPs == maskedCost.totalFLOPs && prunedCost.totalParams == maskedCost.totalParams, "\(name) \(fraction)")
            if fraction == 0 { #expect(pruned.graph == g) }  // all gates open: the same network
            #expect(prunedCost.totalFLOPs <= computeCost(g, convention: .dnal).totalFLOPs)
            #expect(try NetworkParser.parse(source: Array(Emitter.emit(pruned.graph).utf8), file: "p.yaml") == pruned.graph)

            // outputs: the original with hard gates vs the compact network, same inherited weights
            let batch = 2
            let original = try Executor(graph: g, maxBatch: batch, training: false, threads: 2)
            original.parameters.initialize(seed: seed)
            for e in original.parameters.entries where e.name.hasSuffix("running_var") || e.name.hasSuffix(".bias") || e.name.hasSuffix("running_mean") {
                original.parameters.set(e.name, Numerics.random(e.count, seed: seed + UInt64(e.offset)).map { Float(e.name.hasSuffix("var") ? 0.5 + abs($0) : $0 * 0.3) })
            }
            for (id, keep) in masks.keep { original.parameters.set(g.nodes[id].name + ".mask", keep.map { $0 ? 1 : 0 }) }
            original.gateMode = .hard
            let compact = try Executor(graph: pruned.graph, maxBatch: batch, training: false, threads: 2)
            try compact.parameters.copySlices(from: original.parameters, slices: pruned.slices)
            compact.gateMode = .hard
            let input = Numerics.random(batch * g.inputShape.elementCount, seed: 9).map(Float.init)
            for e in [original, compact] {
                e.input.update(from: input, count: input.count)
                try e.forward(batch: batch)
            }
            let a = Array(UnsafeBufferPointer(start: original.logits, count: batch * g.classes))
            let b = Array(UnsafeBufferPointer(start: compact.logits, count: batch * g.classes))
            let scale = Numerics.maxAbs(a)
            #expect(Numerics.firstMismatch(b, a, rtol: 1e-5, atol: 1e-5 * max(scale, 1e-3)) == nil, "\(name) closing \(fraction)")
        }
    }

    @Test func depthwiseChainsPruneTheExpansionWithTheDepthwiseGate() throws {
        let g = try NetworkParser.parse(source: Array("""
            network: dw
            input: [3, 8, 8]
            classes: 4
            defaults: {conv: {bn: true}}
            layers:
              - conv: {name: expand, out: 12, kernel: 1, act: relu6}
              - conv: {name: dw, depthwise: true, gate: true, act: relu6}
              - conv: {name: project, out: 6, kernel: 1, gate: true}
              - gap
              - linear: {name: fc, out: 4}

            """.utf8), file: "dw.yaml")
        var masks = GateMasks.allOpen(g)
        masks.keep[g.node(named: "dw.gate")!.id] = (0..<12).map { $0 % 3 != 0 }
        let pruned = try pruneGatedChannels(g, gates: masks)
        #expect(pruned.graph.node(named: "expand")?.shape.channels == 8)
        #expect(pruned.graph.node(named: "dw")?.op == .conv(Conv(outChannels: 8, kernel: 3, padding: 1, groups: 8)))
        #expect(pruned.slices["expand.weight"]?[3] == [1, 2, 4, 5, 7, 8, 10, 11])
    }

    @Test func groupedConvolutionsAreRefusedBeforeAnyMaskIsRead() throws {
        let g = try NetworkParser.parse(source: Array("""
            network: grouped
            input: [4, 8, 8]
            classes: 2
            layers:
              - conv: {name: c1, out: 8, gate: true}
              - conv: {name: g2, out: 8, groups: 2}
              - gap
              - linear: {name: fc, out: 2}

            """.utf8), file: "grouped.yaml")
        #expect(throws: GraphError("pruning grouped convolutions ('g2', 2 groups) is not supported")) {
            try checkPrunable(g)
        }
        #expect(throws: GraphError("pruning grouped convolutions ('g2', 2 groups) is not supported")) {
            try pruneGatedChannels(g, gates: .allOpen(g))
        }
    }

    @Test func residualNetworksAreRefusedWithTheReason() throws {
        let g = try NetworkParser.parse(file: Repository.architecture("resnet8-mnist.yaml").path)
        #expect(throws: GraphError("pruning 'resnet8-mnist' needs channel index maps at 'stage1.0.add' (add), which dnalc's pruner does not support yet: plain-chain networks only for now; the masks and the hard-gated weights hold the result")) {
            try pruneGatedChannels(g, gates: .allOpen(g))
        }
    }
}
