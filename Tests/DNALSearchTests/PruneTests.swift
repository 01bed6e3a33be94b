import DNALCore
import DNALKernels
import DNALPasses
import DNALRuntime
import DNALSearch
import DNALSyntax
import DNALTestSupport
import Testing

/// The pruner: the compact network computes what the hard-gated one does, costs what the
/// reference counter says, and round-trips through the DSL.
@Suite("Pruning")
struct PruneTests {
    static let networks = ["vgg6-mnist", "vgg8-cifar10", "vgg16-cifar10", "resnet8-mnist", "resnet8-cifar10", "resnet20-cifar10",
                           "resnet56-cifar10", "mobilenet-tiny-mnist", "mobilenetv2-cifar10", "supernet-tiny-mnist", "supernet-tiny-cifar10"]

    /// Closes each channel with probability `fraction` (keeping one per gate), and with
    /// probability `wholeGates` every channel of a gate where that leaves the network connected
    /// (a residual branch, a candidate op).
    func randomMasks(_ g: Graph, seed: UInt64, closing fraction: Double, wholeGates: Double = 0) -> GateMasks {
        var rng = SeededRandom(seed: seed)
        var m = GateMasks.allOpen(g)
        for id in m.keep.keys.sorted() {
            for c in m.keep[id]!.indices where rng.uniform() < fraction { m.keep[id]![c] = false }
            if !m.keep[id]!.contains(true) { m.keep[id]![0] = true }
        }
        for id in m.keep.keys.sorted() where rng.uniform() < wholeGates {
            var closed = m
            closed.keep[id] = m.keep[id]!.map { _ in false }
            if (try? checkMasksKeepNetworkConnected(g, gates: closed)) != nil { m = closed }
        }
        return m
    }

    @Test("pruned == hard-gated, cost == the reference's masked cost", arguments: networks)
    func equivalence(name: String) throws {
        let g = try NetworkParser.parse(file: Repository.architecture(name + ".yaml").path)
        let plain = !g.nodes.contains { $0.op.takesManyInputs }
        var cases: [(UInt64, Double, Double)] = [(1, 0.0, 0), (2, 0.3, 0), (3, 0.7, 0)]
        if !plain { cases += [(4, 0.5, 0.25), (5, 0.2, 0.4)] }  // whole branches and ops close
        for (seed, fraction, whole) in cases {
            let masks = randomMasks(g, seed: seed, closing: fraction, wholeGates: whole)
            for mode in PruneMode.allCases {
                try checkEquivalence(g, masks: masks, seed: seed, mode: mode, label: "\(name) \(mode) closing \(fraction), whole gates \(whole)")
            }
        }
    }

    /// Prunes `g` by `masks` and checks the result against the hard-gated network.
    func checkEquivalence(_ g: Graph, masks: GateMasks, seed: UInt64, mode: PruneMode = .indexMaps, label: String) throws {
        let pruned = try pruneGatedChannels(g, gates: masks, mode: mode)
        #expect(verify(pruned.graph).isEmpty, "\(label)")
        // the reference network: masked weight columns zeroed, dead channels zero
        let channelMasks = computeChannelMasks(g, gates: masks)
        let maskedCost = computeCost(g, convention: .dnal, masks: channelMasks)
        let prunedCost = computeCost(pruned.graph, convention: .dnal)
        if mode == .indexMaps {
            #expect(prunedCost.totalFLOPs == maskedCost.totalFLOPs && prunedCost.totalParams == maskedCost.totalParams,
                    "\(label): pruned \(prunedCost.totalFLOPs) FLOPs \(prunedCost.totalParams) params, masked \(maskedCost.totalFLOPs) \(maskedCost.totalParams)")
        } else {
            // dense: no channel maps (beyond those a network pruned before has), every sum's inputs
            // aligned, at a cost of its own
            func maps(_ graph: Graph) -> Int { graph.nodes.filter { $0.op.kindName == "gather" || $0.op.kindName == "scatter" }.count }
            if maps(g) == 0 { #expect(maps(pruned.graph) == 0, "\(label)") }
            // (an unpruned conv reads only the trunk channels dense keeps, so it can cost less there)
            let everyConvPrunable = g.nodes.allSatisfy { if case .conv(let c) = $0.op { return c.prunable } else { return true } }
            if everyConvPrunable { #expect(prunedCost.totalFLOPs >= maskedCost.totalFLOPs, "\(label)") }
        }
        if masks == .allOpen(g) {  // all gates open: the same network
            let same = pruned.graph == g
            #expect(same, "\(label): all gates open changed the network")
        }
        #expect(prunedCost.totalFLOPs <= computeCost(g, convention: .dnal).totalFLOPs)
        let reparsed = try NetworkParser.parse(source: Array(Emitter.emit(pruned.graph).utf8), file: "p.yaml") == pruned.graph
        #expect(reparsed, "\(label): parse(emit(pruned)) differs")

        // outputs: the original with hard gates vs the compact network, same inherited weights
        let batch = 2
        let original = try Executor(graph: g, maxBatch: batch, training: false, threads: 2)
        original.parameters.initialize(seed: seed)
        for e in original.parameters.entries where e.name.hasSuffix("running_var") || e.name.hasSuffix(".bias") || e.name.hasSuffix("running_mean") {
            original.parameters.set(e.name, Numerics.random(e.count, seed: seed + UInt64(e.offset)).map { Float(e.name.hasSuffix("var") ? 0.5 + abs($0) : $0 * 0.3) })
        }
        for (id, keep) in masks.keep { original.parameters.set(g.nodes[id].name + ".mask", keep.map { $0 ? 1 : 0 }) }
        zeroMaskedColumns(g, masks: channelMasks, in: original.parameters)
        zeroDeadRows(g, rows: deadRows(g, gates: masks), in: original.parameters)
        original.gate.mode = .hard
        let compact = try Executor(graph: pruned.graph, maxBatch: batch, training: false, threads: 2)
        try inheritWeights(pruned, from: original.parameters, into: compact.parameters)
        compact.gate.mode = .hard
        let input = Numerics.random(batch * g.inputShape.elementCount, seed: 9).map(Float.init)
        for e in [original, compact] {
            e.input.update(from: input, count: input.count)
            try e.forward(batch: batch)
        }
        let a = Array(UnsafeBufferPointer(start: original.logits, count: batch * g.classes))
        let b = Array(UnsafeBufferPointer(start: compact.logits, count: batch * g.classes))
        let scale = Numerics.maxAbs(a)
        #expect(Numerics.firstMismatch(b, a, rtol: 1e-5, atol: 1e-5 * max(scale, 1e-3)) == nil, "\(label)")
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
        // slices follow the table's PyTorch layout [Cout, Cin, K, K]: axis 0 holds the kept filters
        #expect(pruned.slices["expand.weight"]?[0] == [1, 2, 4, 5, 7, 8, 10, 11])
    }

    @Test func aResidualBlockWhoseFirstGateClosesBecomesItsShortcut() throws {
        let g = try NetworkParser.parse(file: Repository.architecture("resnet20-cifar10.yaml").path)
        var masks = randomMasks(g, seed: 11, closing: 0.3)
        masks.keep[g.node(named: "stage2.1.conv1.gate")!.id] = Array(repeating: false, count: 32)
        let pruned = try pruneGatedChannels(g, gates: masks)
        for gone in ["stage2.1.conv1", "stage2.1.conv2", "stage2.1.conv2.gate", "stage2.1.add"] {
            #expect(pruned.graph.node(named: gone) == nil, "\(gone) survived")
        }
        // conv2's open channels read nothing: dead, as the reference counts them
        let open = masks.keep[g.node(named: "stage2.1.conv2.gate")!.id]!.filter { $0 }.count
        #expect(pruned.deadChannels["stage2.1.conv2"] == open)
        // the next block still reads the trunk channels the dead block's output gate kept
        let next = try #require(pruned.graph.node(named: "stage2.2.conv1"))
        let read = pruned.slices["stage2.2.conv1.weight"]![1]  // [Cout, Cin, K, K]: axis 1 the columns read
        let kept = masks.keep[g.node(named: "stage2.1.conv2.gate")!.id]!
        #expect(read == kept.indices.filter { kept[$0] }.filter { c in
            // only channels the trunk carries (the previous blocks wrote them or the shortcut did)
            computeChannelMasks(g, gates: masks).columns[g.node(named: "stage2.2.conv1")!.id]![c]
        })
        #expect(!read.isEmpty && next.shape.channels > 0)
        try checkEquivalence(g, masks: masks, seed: 11, label: "resnet20, stage2.1 closed")
    }

    @Test func aCandidateOpWhoseChannelsAllCloseDisappears() throws {
        let g = try NetworkParser.parse(file: Repository.architecture("supernet-tiny-cifar10.yaml").path)
        var masks = randomMasks(g, seed: 12, closing: 0.3)
        masks.keep[g.node(named: "cell2.k5t4.dw.gate")!.id] = Array(repeating: false, count: 96)
        masks.keep[g.node(named: "cell2.k3t2.point.gate")!.id] = Array(repeating: false, count: 24)
        let pruned = try pruneGatedChannels(g, gates: masks)
        for op in ["k5t4", "k3t2"] {
            #expect(!pruned.graph.nodes.contains { $0.name.hasPrefix("cell2.\(op).") }, "cell2.\(op) survived")
        }
        #expect(pruned.graph.node(named: "cell2.k3t4.point") != nil && pruned.graph.node(named: "cell2.k5t2.point") != nil)
        try checkEquivalence(g, masks: masks, seed: 12, label: "supernet, two ops closed")
    }

    @Test func prunedResidualNetworksWriteTheirChannelMapsAsGathersAndScatters() throws {
        let g = try NetworkParser.parse(file: Repository.architecture("mobilenetv2-cifar10.yaml").path)
        let pruned = try pruneGatedChannels(g, gates: randomMasks(g, seed: 13, closing: 0.4))
        let text = Emitter.emit(pruned.graph)
        #expect(text.contains("  - gather: {name: ") && text.contains("  - scatter: {name: "))
        #expect(try NetworkParser.parse(source: Array(text.utf8), file: "p.yaml") == pruned.graph)
    }

    /// A pruned network, gathers and scatters included, prunes again: searching a compact
    /// network once more starts from there.
    @Test(arguments: ["resnet20-cifar10", "mobilenetv2-cifar10", "supernet-tiny-cifar10"])
    func prunedNetworksPruneAgain(name: String) throws {
        let g = try NetworkParser.parse(file: Repository.architecture(name + ".yaml").path)
        let once = try pruneGatedChannels(g, gates: randomMasks(g, seed: 21, closing: 0.3)).graph
        #expect(once.nodes.contains { $0.op.kindName == "gather" || $0.op.kindName == "scatter" })
        for (seed, fraction, whole) in [(22, 0.3, 0.0), (23, 0.4, 0.3)] as [(UInt64, Double, Double)] {
            let masks = randomMasks(once, seed: seed, closing: fraction, wholeGates: whole)
            for mode in PruneMode.allCases {
                try checkEquivalence(once, masks: masks, seed: seed, mode: mode, label: "\(name) pruned twice, \(mode), closing \(fraction)")
            }
        }
    }

    /// ResNet-50's bottleneck in small: a projection shortcut that is never pruned
    /// (`prunable: false`) keeps reading the whole trunk, zeros where pruned, and its full cost.
    @Test func unprunedProjectionShortcutsReadTheWholeTrunk() throws {
        let g = try NetworkParser.parse(source: Array("""
            network: bottleneck
            input: [3, 12, 12]
            classes: 5
            defaults: {conv: {bn: true, gate: true}}
            templates:
              block:
                params: {mid: ~, out: ~, stride: 1}
                layers:
                  - residual:
                      branch:
                        - conv: {name: conv1, out: $mid, kernel: 1, act: relu}
                        - conv: {name: conv2, out: $mid, kernel: 3, stride: $stride, act: relu}
                        - conv: {name: conv3, out: $out, kernel: 1}
                      shortcut: {project: {prunable: false}}
                      act: relu
            layers:
              - conv: {name: stem, out: 8, kernel: 3, act: relu}
              - block: {name: b1, mid: 4, out: 16}
              - block: {name: b2, mid: 8, out: 24, stride: 2}
              - block: {name: b3, mid: 8, out: 24}
              - gap
              - linear: {name: fc, out: 5}

            """.utf8), file: "bottleneck.yaml")
        #expect(g.nodes.contains { if case .conv(let c) = $0.op { return !c.prunable } else { return false } })
        for (seed, fraction, whole) in [(31, 0.4, 0.0), (32, 0.5, 0.3)] as [(UInt64, Double, Double)] {
            let masks = randomMasks(g, seed: seed, closing: fraction, wholeGates: whole)
            for mode in PruneMode.allCases {
                try checkEquivalence(g, masks: masks, seed: seed, mode: mode, label: "bottleneck \(mode) closing \(fraction)")
            }
        }
    }
}
