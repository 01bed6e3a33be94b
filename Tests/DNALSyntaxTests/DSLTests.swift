import DNALCore
import Testing
@testable import DNALSyntax

@Suite("DSL features")
struct DSLTests {
    func names(_ g: Graph) -> [String] { g.nodes.map(\.name) }

    @Test func convLineExpandsToConvBnGateAct() throws {
        let g = try parse(network("  - conv: {name: c, out: 4, bn: true, gate: true, act: relu6}\n  - gap\n  - linear: {out: 2}\n"))
        #expect(names(g) == ["input", "c", "c.bn", "c.gate", "c.act", "gap1", "linear1"])
        #expect(g.nodes[1].op == .conv(Conv(outChannels: 4, kernel: 3, padding: 1)))
        #expect(g.nodes[4].op == .activation(.relu6))
    }

    @Test func bareOpsAndAutomaticNames() throws {
        let g = try parse(network("  - conv: {out: 4}\n  - relu\n  - conv: {out: 4}\n  - maxpool: {kernel: 2}\n  - flatten\n  - dropout: {p: 0.5}\n  - linear: {out: 2}\n"))
        #expect(names(g) == ["input", "conv1", "relu1", "conv2", "maxpool1", "flatten1", "dropout1", "linear1"])
        #expect(g.nodes[4].shape == Shape(channels: 4, height: 4, width: 4))
    }

    @Test func defaultsApplyUnlessOverridden() throws {
        let g = try parse(network("  - conv: {name: a, out: 4}\n  - conv: {name: b, out: 4, act: none, kernel: 1}\n  - gap\n  - linear: {out: 2}\n",
                                  extra: "defaults:\n  conv: {kernel: 5, bn: true, act: relu}\n  bn: {eps: 0.001}\n"))
        #expect(names(g) == ["input", "a", "a.bn", "a.act", "b", "b.bn", "gap1", "linear1"])
        #expect(g.nodes[1].op == .conv(Conv(outChannels: 4, kernel: 5, padding: 2)))
        #expect(g.nodes[2].op == .batchNorm(BatchNorm(epsilon: 0.001, momentum: 0.1)))
        #expect(g.nodes[4].op == .conv(Conv(outChannels: 4, kernel: 1, padding: 0)))
    }

    @Test func templatesRepeatsAndScopedNames() throws {
        let text = network("""
              - repeat:
                  name: stage
                  times: 2
                  layers: [blk: {out: 4, stride: "${2 if i == 0 else 1}"}]
              - gap
              - linear: {out: 2}

            """, extra: """
            templates:
              blk:
                params: {out: ~, stride: 1}
                layers:
                  - conv: {name: a, out: $out, stride: $stride}
                  - conv: {name: b, out: "${out * 2}"}

            """)
        let g = try parse(text)
        #expect(names(g) == ["input", "stage.0.a", "stage.0.b", "stage.1.a", "stage.1.b", "gap1", "linear1"])
        #expect(g.node(named: "stage.0.a")?.shape == Shape(channels: 4, height: 4, width: 4))
        #expect(g.node(named: "stage.1.a")?.shape == Shape(channels: 4, height: 4, width: 4))
        #expect(g.node(named: "stage.1.b")?.shape.channels == 8)
    }

    @Test func whenRemovesItemsAndTemplateDefaultsSeeEarlierParams() throws {
        let text = network("  - blk: {name: x, t: 1}\n  - blk: {name: y, t: 3}\n  - gap\n  - linear: {out: 2}\n", extra: """
            templates:
              blk:
                params: {t: ~, hidden: "${in * t}"}
                layers:
                  - conv: {name: expand, out: $hidden, kernel: 1, when: "${t != 1}"}
                  - conv: {name: dw, depthwise: true}

            """)
        let g = try parse(text)
        // Names follow the list as written, so weights keep their names whatever `t` is.
        #expect(names(g) == ["input", "x.dw", "y.expand", "y.dw", "gap1", "linear1"])
        #expect(g.node(named: "y.dw")?.op == .conv(Conv(outChannels: 9, kernel: 3, padding: 1, groups: 9)))
    }

    @Test func referencesAddAndConcat() throws {
        let g = try parse(network("""
              - conv: {name: a, out: 4}
              - conv: {name: b, out: 4, from: input}
              - add: {name: s, from: [a, b]}
              - conv: {name: c, out: 2, from: a}
              - concat: {name: cat, from: [s, c]}
              - gap
              - linear: {out: 2}

            """))
        #expect(g.node(named: "s")?.inputs == [1, 2])
        #expect(g.node(named: "c")?.inputs == [1])
        #expect(g.node(named: "cat")?.shape.channels == 6)
    }

    @Test func residualShortcuts() throws {
        let g = try parse(network("""
              - conv: {name: stem, out: 4}
              - residual: {name: r1, branch: [conv: {name: c, out: 8, stride: 2}], shortcut: zeropad, act: relu}
              - residual: {name: r2, branch: [conv: {name: c, out: 16, stride: 2}], shortcut: {project: {prunable: false}}}
              - residual: {name: r3, branch: [conv: {name: c, out: 16}], shortcut: identity}
              - residual: {name: r4, branch: [conv: {name: c, out: 32}], shortcut: project, shortcut_when: false}
              - residual: {name: r5, branch: [conv: {name: c, out: 32}], shortcut: [conv: {name: sc, out: 32, kernel: 1}]}
              - gap
              - linear: {out: 2}

            """))
        #expect(g.node(named: "r1.shortcut")?.op == .zeroPad(ZeroPad(outChannels: 8, stride: 2, offset: 2)))
        #expect(g.node(named: "r1.add")?.inputs == [g.node(named: "r1.c")!.id, g.node(named: "r1.shortcut")!.id])
        #expect(g.node(named: "r1.shortcut")?.inputs == [g.node(named: "stem")!.id])
        #expect(g.node(named: "r1.act") != nil)
        #expect(g.node(named: "r2.shortcut")?.op == .conv(Conv(outChannels: 16, kernel: 1, stride: 2, prunable: false)))
        #expect(g.node(named: "r2.shortcut.bn") != nil)
        #expect(g.node(named: "r3.add")?.inputs.last == g.node(named: "r2.add")?.id)
        #expect(g.node(named: "r4.add") == nil && g.node(named: "r4.shortcut") == nil)
        #expect(g.node(named: "r5.shortcut.sc")?.op == .conv(Conv(outChannels: 32, kernel: 1)))
    }

    @Test func choiceSumsCandidatesAndTheShortcut() throws {
        let g = try parse(network("""
              - conv: {name: stem, out: 4}
              - choice:
                  name: cell
                  ops: [conv: {name: k3, out: 4}, conv: {name: k5, out: 4, kernel: 5}, [conv: {out: 2}, conv: {out: 4}]]
                  shortcut: identity
              - gap
              - linear: {out: 2}

            """))
        let sum = try #require(g.node(named: "cell.sum"))
        #expect(sum.op == .add(Add(role: .candidates)))
        #expect(sum.inputs.map { g.nodes[$0].name } == ["cell.k3", "cell.k5", "cell.op2.conv2", "stem"])
    }

    @Test func widthMultiplierRoundsToTheDivisor() throws {
        let g = try parse(network("  - conv: {name: a, out: 32}\n  - conv: {name: b, out: 24}\n  - conv: {name: c, out: 10, scale: false}\n  - gap\n  - linear: {out: 2}\n",
                                  extra: "width_multiplier: 0.5\nwidth_divisor: 8\n"))
        #expect(g.node(named: "a")?.shape.channels == 16)
        #expect(g.node(named: "b")?.shape.channels == 16)
        #expect(g.node(named: "c")?.shape.channels == 10)
    }

    @Test func anchorsMergeKeysAndInterpolatedNames() throws {
        let g = try parse(network("""
              - conv: &base {name: a, out: 4, bn: true}
              - conv: {<<: *base, name: b}
              - repeat: {name: r, times: 2, layers: [conv: {name: "c${i + 1}", out: 4}, relu]}
              - gap
              - linear: {out: 2}

            """))
        #expect(g.node(named: "b.bn") != nil)
        #expect(g.node(named: "r.0.c1") != nil && g.node(named: "r.1.c2") != nil && g.node(named: "r.1.relu1") != nil)
    }

    @Test func searchSection() throws {
        let g = try parse(network("  - gap\n  - linear: {out: 2}\n", extra: """
            search: {lambda: 5e-5, epochs: [3, 2, 3], batch: 32, lr: 0.05, momentum: 0.9, weight_decay: [1e-4, 0, 1e-4], threshold: 0.9, beta_final: 1e4, seed: 7}

            """))
        #expect(g.search.lambda == 5e-5)
        #expect(g.search.epochs == [3, 2, 3])
        #expect(g.search.learningRates == [0.05, 0.05, 0.05])
        #expect(g.search.weightDecay == [1e-4, 0, 1e-4])
        #expect(g.search.seed == 7 && g.search.batch == 32 && g.search.threshold == 0.9 && g.search.betaFinal == 1e4)
    }
}

@Suite("Gates per block")
struct BlockGateTests {
    @Test func innermostBlockWinsAndOwnSettingWinsOverBlocks() throws {
        let g = try parse(network("""
              - seq:
                  name: s
                  gate: true
                  layers:
                    - conv: {name: a, out: 4}
                    - conv: {name: b, out: 4, gate: false}
                    - residual: {name: r, gate: false, shortcut: project, branch: [conv: {name: c, out: 8}]}
                    - repeat: {name: p, times: 2, layers: [conv: {name: d, out: 8}]}
              - conv: {name: e, out: 8}
              - gap
              - linear: {out: 2}

            """, extra: "defaults:\n  conv: {gate: false}\n"))
        let gated = Set(g.nodes.filter { $0.op == .gate }.map { $0.name })
        #expect(gated == ["s.a.gate", "s.p.0.d.gate", "s.p.1.d.gate"])
        #expect(g.node(named: "s.r.shortcut.gate") == nil)
    }

    @Test func blockGateMustBeABoolean() {
        #expect(firstError(network("  - seq: {gate: maybe, layers: [gap]}\n  - linear: {out: 2}\n"))
            == "t.yaml:5:17: error: 'gate' must be true or false, got 'maybe'")
    }
}
