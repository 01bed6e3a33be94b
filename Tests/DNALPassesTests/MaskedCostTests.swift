import DNALCore
import DNALTestSupport
import Testing
@testable import DNALPasses

@Suite("Masked cost (the reference rules)")
struct MaskedCostTests {
    func masks(_ g: Graph, closing: [String: [Int]]) -> GateMasks {
        var m = GateMasks.allOpen(g)
        for (name, channels) in closing {
            let id = g.node(named: name)!.id
            for c in channels { m.keep[id]![c] = false }
        }
        return m
    }

    func kept(_ flags: [Bool]?) -> [Int] { (flags ?? []).indices.filter { flags![$0] } }

    @Test("all-open masks cost what the network costs", arguments: Repository.allArchitectures().map(\.lastPathComponent))
    func allOpen(file: String) throws {
        let g = try architecture(String(file.dropLast(5)))
        let m = computeChannelMasks(g, gates: .allOpen(g))
        for convention in CostConvention.allCases {
            #expect(computeCost(g, convention: convention, masks: m) == computeCost(g, convention: convention), "\(file) \(convention)")
        }
    }

    @Test func plainChainByHand() throws {
        // conv1 3->4 (k3, 8x8, BN, gate), conv2 4->6 (k3, BN, gate), gap, linear 6->2
        let g = try parse("""
            network: t
            input: [3, 8, 8]
            classes: 2
            defaults: {conv: {bn: true, gate: true, act: relu}}
            layers:
              - conv: {name: c1, out: 4}
              - conv: {name: c2, out: 6}
              - gap
              - linear: {name: fc, out: 2}

            """)
        let m = computeChannelMasks(g, gates: masks(g, closing: ["c1.gate": [1, 2], "c2.gate": [0, 5]]))
        #expect(kept(m.rows[g.node(named: "c1")!.id]) == [0, 3])
        #expect(kept(m.columns[g.node(named: "c2")!.id]) == [0, 3])
        #expect(kept(m.rows[g.node(named: "c2")!.id]) == [1, 2, 3, 4])
        #expect(kept(m.columns[g.node(named: "fc")!.id]) == [1, 2, 3, 4])
        let cost = computeCost(g, convention: .dnal, masks: m)
        // c1: 2 filters x 27 weights, 64 pixels; BN 2 channels. c2: 4 filters x (2 x 9); fc: 4 x 2 + 2
        #expect(cost.totalParams == (2 * 27 + 4) + (4 * 18 + 8) + (8 + 2))
        #expect(cost.totalFLOPs == (2 * 27 * 64 + 2) + (4 * 18 * 64 + 4) + (8 + 2))
    }

    @Test func residualBranchesScatterAndTheNextBlockReadsTheGatesKeptChannels() throws {
        let g = try architecture("resnet8-cifar10")
        let m = computeChannelMasks(g, gates: masks(g, closing: ["stage1.0.conv2.gate": Array(0..<10), "stem.gate": [15]]))
        // the branch's conv keeps the gate's channels
        #expect(kept(m.rows[g.node(named: "stage1.0.conv2")!.id]) == Array(10..<16))
        // the next block's first conv reads only what stage1.0's branch gate kept (the reference
        // rule), not the trunk channels the identity shortcut still carries
        #expect(kept(m.columns[g.node(named: "stage2.0.conv1")!.id]) == Array(10..<16))
        // the block's own conv1 reads what the stem gate kept
        #expect(kept(m.columns[g.node(named: "stage1.0.conv1")!.id]) == Array(0..<15))
    }

    @Test func depthwiseGatesPruneTheExpansionInFrontOfThem() throws {
        let g = try architecture("mobilenet-tiny-mnist")
        let m = computeChannelMasks(g, gates: masks(g, closing: ["block2.dw.gate": [0, 5, 31]]))
        let expected = (0..<64).filter { ![0, 5, 31].contains($0) }
        #expect(kept(m.rows[g.node(named: "block2.expand")!.id]) == expected)
        #expect(kept(m.rows[g.node(named: "block2.dw")!.id]) == expected)
        #expect(kept(m.columns[g.node(named: "block2.project")!.id]) == expected)
    }

    @Test func candidateSumsUnionTheOpsAndIgnoreTheIdentity() throws {
        let g = try architecture("supernet-tiny-cifar10")
        let ops = ["k3t2", "k3t4", "k5t2", "k5t4"]
        var closing: [String: [Int]] = [:]
        for (k, op) in ops.enumerated() { closing["cell2.\(op).point.gate"] = (0..<24).filter { $0 % 4 != k } }
        closing["cell2.k5t4.point.gate"] = Array(0..<24)  // one op closes everything: it disappears
        let m = computeChannelMasks(g, gates: masks(g, closing: closing))
        #expect(kept(m.columns[g.node(named: "mix")!.id]) == (0..<24).filter { $0 % 4 != 3 })
        #expect(kept(m.rows[g.node(named: "cell2.k5t4.point")!.id]).isEmpty)
        let closed = computeCost(g, convention: .dnal, masks: m)
        #expect(closed.totalFLOPs < computeCost(g, convention: .dnal).totalFLOPs)
    }

    @Test("closing more channels never costs more", arguments: 0..<20)
    func monotone(seed: Int) throws {
        let g = try architecture(["resnet20-cifar10", "mobilenetv2-cifar10", "supernet-tiny-cifar10", "vgg16-cifar10"][seed % 4])
        var rng = SeededRandom(seed: UInt64(seed))
        var m = GateMasks.allOpen(g)
        var previous = computeCost(g, convention: .dnal, masks: computeChannelMasks(g, gates: m))
        for _ in 0..<5 {
            for id in m.keep.keys { for c in m.keep[id]!.indices where rng.uniform() < 0.2 { m.keep[id]![c] = false } }
            let cost = computeCost(g, convention: .dnal, masks: computeChannelMasks(g, gates: m))
            #expect(cost.totalFLOPs <= previous.totalFLOPs && cost.totalParams <= previous.totalParams)
            previous = cost
        }
    }
}

@Suite("Expected cost under soft gates")
struct ExpectedCostTests {
    @Test func certainGatesGiveTheHardCostAndHalfOpenGatesAQuarterOfAChain() throws {
        let g = try architecture("vgg6-mnist")
        var open: [Int: [Double]] = [:]
        for n in g.nodes where n.op == .gate { open[n.id] = Array(repeating: 1, count: n.shape.channels) }
        #expect(computeExpectedCost(g, convention: .dnal, masks: computeSoftChannelMasks(g, open: open))
                == computeCost(g, convention: .dnal))
        for id in open.keys { open[id] = open[id]!.map { _ in 0.5 } }
        let half = computeExpectedCost(g, convention: .dnal, masks: computeSoftChannelMasks(g, open: open))
        // conv2..conv6 keep half their rows and half their columns in expectation: a quarter of MACs
        let conv4 = half.layers.first { $0.name == "conv4" }!, full = computeCost(g, convention: .dnal).layers.first { $0.name == "conv4" }!
        #expect(abs(Double(conv4.flops) - Double(full.flops) / 4) < 0.01 * Double(full.flops))
    }
}

/// The reference counter against the compact count when a gate closes entirely, by hand-counted
/// integers on 4x4 maps (16 pixels; no conv bias; a prunable conv's BN adds 1 FLOP and 2 params
/// per alive channel; linear layers have a bias).
@Suite("Masked cost: the reference counter when a gate closes entirely")
struct ReferenceCounterTests {
    func closing(_ g: Graph, _ closed: [String]) throws -> GateMasks {
        var m = GateMasks.allOpen(g)
        for name in closed { let id = try #require(g.node(named: name)).id; m.keep[id] = m.keep[id]!.map { _ in false } }
        return m
    }

    func both(_ g: Graph, _ m: GateMasks) -> (compact: CostReport, reference: CostReport) {
        (computeCost(g, convention: .dnal, masks: computeChannelMasks(g, gates: m)),
         computeReferenceCost(g, convention: .dnal, gates: m))
    }

    @Test func aResidualBlocksOutputGate() throws {
        let g = try parse("""
            network: t
            input: [2, 4, 4]
            classes: 2
            defaults: {conv: {kernel: 3, bn: true, gate: true}}
            templates:
              basic:
                layers:
                  - residual:
                      branch:
                        - conv: {name: conv1, out: 3, act: relu}
                        - conv: {name: conv2, out: 3}
                      shortcut: identity
                      act: relu
            layers:
              - conv: {name: stem, out: 3, act: relu}
              - basic: {name: b1}
              - basic: {name: b2}
              - gap
              - linear: {name: fc, out: 2}

            """)
        let (compact, reference) = both(g, try closing(g, ["b1.conv2.gate"]))
        // stem 3x2x9 = 54 weights: 54*16 + 3 FLOPs, 54 + 6 params; a block conv 3x3x9 = 81
        // weights: 81*16 + 3, 81 + 6; fc 3x2 + 2.
        // Compact: b1's branch feeds nothing; b2.conv1 reads only what b1's closed gate kept
        // (nothing), so b2 is dead too: the stem and fc remain, fed by the shortcuts.
        #expect(compact.totalFLOPs == 867 + 8 && compact.totalParams == 60 + 8)
        // Reference: b1.conv1 still counts (its own gate keeps every row); b2.conv1 reads no kept
        // column, so it is not alive; b2.conv2 reads b2.conv1's gate's columns and counts.
        #expect(reference.totalFLOPs == 867 + 1299 + 0 + 0 + 1299 + 8)
        #expect(reference.totalParams == 60 + 87 + 0 + 0 + 87 + 8)
        // with no gate closed entirely the two agree
        var partly = GateMasks.allOpen(g)
        partly.keep[g.node(named: "b1.conv2.gate")!.id]![1] = false
        let (c2, r2) = both(g, partly)
        #expect(c2 == r2)
    }

    @Test func aMobileNetProjectionGate() throws {
        let g = try parse("""
            network: t
            input: [2, 4, 4]
            classes: 2
            defaults: {conv: {bn: true}}
            layers:
              - conv: {name: stem, out: 2, kernel: 1, gate: true, act: relu6}
              - residual:
                  branch:
                    - conv: {name: expand, out: 4, kernel: 1, act: relu6}
                    - conv: {name: dw, depthwise: true, kernel: 3, gate: true, act: relu6}
                    - conv: {name: project, out: 2, kernel: 1, gate: true}
                  shortcut: identity
              - conv: {name: last, out: 3, kernel: 1, prunable: false, act: relu6}
              - gap
              - linear: {name: fc, out: 2}

            """)
        let (compact, reference) = both(g, try closing(g, ["residual1.project.gate"]))
        // stem 2x2 weights: 4*16 + 2, 4 + 4; last (not prunable, so no BN term) 2x3: 6*16, 6;
        // fc 3x2 + 2. The block's branch feeds nothing: the compact network drops it.
        #expect(compact.totalFLOPs == 66 + 96 + 8 && compact.totalParams == 8 + 6 + 8)
        // Reference: expand keeps the rows the depthwise gate keeps (4 x 2 weights: 8*16 + 4,
        // 8 + 8) and dw counts its 4 x 9 weights (36*16 + 4, 36 + 8); project counts nothing.
        #expect(reference.totalFLOPs == 66 + 132 + 580 + 96 + 8)
        #expect(reference.totalParams == 8 + 16 + 44 + 6 + 8)
    }

    @Test func aCandidateOp() throws {
        let g = try parse("""
            network: t
            input: [2, 4, 4]
            classes: 2
            defaults: {conv: {bn: true}}
            templates:
              mbconv:
                layers:
                  - conv: {name: expand, out: 4, kernel: 1, act: relu6}
                  - conv: {name: dw, depthwise: true, kernel: 3, gate: true, act: relu6}
                  - conv: {name: point, out: 2, kernel: 1, gate: true}
            layers:
              - conv: {name: stem, out: 2, kernel: 1, gate: true, act: relu6}
              - choice:
                  ops:
                    - mbconv: {name: a}
                    - mbconv: {name: b}
                  shortcut: identity
              - gap
              - linear: {name: fc, out: 2}

            """)
        let (compact, reference) = both(g, try closing(g, ["choice1.b.point.gate"]))
        // stem 66 FLOPs, 8 params; op a: expand 132/16, dw 580/44, point 4x2 weights 8*16 + 2 = 130,
        // 8 + 4 = 12; fc reads the 2 channels a's gate keeps: 6/6.
        #expect(compact.totalFLOPs == 66 + 842 + 6 && compact.totalParams == 8 + 72 + 6)
        // the reference also counts op b's expand and dw, in front of its closed gate
        #expect(reference.totalFLOPs == 66 + 842 + 712 + 6)
        #expect(reference.totalParams == 8 + 72 + 60 + 6)
    }

    @Test("the two counts agree while no gate closes entirely", arguments: 0..<8)
    func agreeWithoutClosedGates(seed: Int) throws {
        let g = try architecture(["resnet20-cifar10", "mobilenetv2-cifar10", "supernet-tiny-cifar10", "vgg16-cifar10"][seed % 4])
        var rng = SeededRandom(seed: UInt64(seed + 100))
        var m = GateMasks.allOpen(g)
        for id in m.keep.keys {
            for c in m.keep[id]!.indices where rng.uniform() < 0.5 { m.keep[id]![c] = false }
            if !m.keep[id]!.contains(true) { m.keep[id]![0] = true }
        }
        let (compact, reference) = both(g, m)
        #expect(compact.totalFLOPs == reference.totalFLOPs && compact.totalParams == reference.totalParams)
    }

    @Test func resnet56WithABlockClosedCountsMoreByTheReference() throws {
        let g = try architecture("resnet56-cifar10")
        let (compact, reference) = both(g, try closing(g, ["stage2.3.conv2.gate"]))
        let full = computeCost(g, convention: .dnal)
        #expect(compact.totalFLOPs < reference.totalFLOPs && reference.totalFLOPs < full.totalFLOPs)
    }
}
