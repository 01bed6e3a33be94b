import DNALCore
import DNALSyntax
import Testing
@testable import DNALPasses

@Suite("Channel coupling")
struct CouplingTests {
    func group(containing name: String, channel: Int = 0, in r: CouplingReport, _ g: Graph) -> CouplingGroup? {
        let id = g.node(named: name)!.id
        return r.groups.first { $0.members.contains { $0.node == id && $0.channels.contains { $0.contains(channel) } } }
    }

    func names(_ ids: [Int], _ g: Graph) -> [String] { ids.map { g.nodes[$0].name } }

    @Test func plainChainsAreUncoupled() throws {
        let g = try architecture("vgg8-cifar10")
        let r = computeChannelCoupling(g)
        #expect(r.groups.count == 9)  // the input and eight convs
        #expect(r.groups.allSatisfy { !$0.isCoupled })
        let conv3 = try #require(group(containing: "conv3", in: r, g))
        #expect(names(conv3.gates, g) == ["conv3.gate"])
        #expect(names(conv3.readers, g) == ["conv4"])
        #expect(conv3.width == 32)
    }

    @Test func residualTrunkAcrossZeroPads() throws {
        let g = try architecture("resnet8-cifar10")
        let r = computeChannelCoupling(g)
        let trunk = try #require(group(containing: "stem", in: r, g))
        #expect(trunk.ties == [.residual, .zeropad])
        #expect(trunk.width == 16)
        #expect(names(trunk.gates, g) == ["stem.gate", "stage1.0.conv2.gate", "stage2.0.conv2.gate", "stage3.0.conv2.gate"])
        // option A puts the 16 stage-1 channels at 8..23 of stage 2 and 24..39 of stage 3
        let pad2 = try #require(trunk.members.first { g.nodes[$0.node].name == "stage2.0.shortcut" })
        #expect(pad2.channels == [8...23])
        let conv3 = try #require(trunk.members.first { g.nodes[$0.node].name == "stage3.0.conv2" })
        #expect(conv3.channels == [24...39])
        #expect(names(trunk.readers, g) == ["stage1.0.conv1", "stage2.0.conv1", "stage3.0.conv1", "fc"])
        // the zero-padded channels of stage 2 form their own group, written only by conv2 there
        let padded = try #require(group(containing: "stage2.0.conv2", channel: 0, in: r, g))
        #expect(padded.width == 16)
        #expect(names(padded.writers, g) == ["stage2.0.conv2", "stage2.0.shortcut", "stage3.0.conv2", "stage3.0.shortcut"])
        #expect(padded.members.first { g.nodes[$0.node].name == "stage3.0.conv2" }?.channels == [16...23, 40...47])
    }

    @Test func depthwiseTiesExpansionToTheDepthwiseGate() throws {
        let g = try architecture("mobilenet-tiny-mnist")
        let r = computeChannelCoupling(g)
        let hidden = try #require(group(containing: "block2.expand", in: r, g))
        #expect(hidden.ties == [.depthwise])
        #expect(names(hidden.writers, g) == ["block2.expand", "block2.dw"])
        #expect(names(hidden.gates, g) == ["block2.dw.gate"])
        #expect(names(hidden.readers, g) == ["block2.project"])
    }

    @Test func candidateSumsTieEveryOpsOutput() throws {
        let g = try architecture("supernet-tiny-cifar10")
        let r = computeChannelCoupling(g)
        let out = try #require(group(containing: "cell2.sum", in: r, g))
        #expect(out.ties.contains(.candidates))
        #expect(out.gates.count == 8)  // four point gates in each of the two cells (cell2's identity shortcut ties cell1)
        #expect(names(out.readers, g).contains("mix"))
    }

    @Test func everyChannelIsInExactlyOneGroup() throws {
        for name in ["resnet56-cifar10", "mobilenetv2-cifar10", "proxylessnas-imagenet", "vgg16-cifar10"] {
            let g = try architecture(name)
            let r = computeChannelCoupling(g)
            var seen = Set<[Int]>()
            for group in r.groups {
                for m in group.members {
                    for range in m.channels { for c in range { #expect(seen.insert([m.node, c]).inserted) } }
                }
            }
            let total = g.nodes.filter(\.shape.isFeatureMap).reduce(0) { $0 + $1.shape.channels }
            #expect(seen.count == total, "\(name)")
        }
    }

    @Test func concatOffsets() throws {
        let g = try parse("""
            network: t
            input: [3, 8, 8]
            classes: 2
            layers:
              - conv: {name: a, out: 4, gate: true}
              - conv: {name: b, out: 2, from: input, gate: true}
              - concat: {name: cat, from: [a, b]}
              - conv: {name: c, out: 2}
              - gap
              - linear: {out: 2}

            """)
        let r = computeChannelCoupling(g)
        let b = try #require(group(containing: "b", in: r, g))
        let cat = try #require(b.members.first { g.nodes[$0.node].name == "cat" })
        #expect(cat.channels == [4...5])
        #expect(b.ties == [.concat])
        #expect(names(b.readers, g) == ["c"])
    }

    /// A gather ties its output channel k to input channel channels[k]; a scatter ties input
    /// channel k to output channel channels[k], and leaves its other outputs ungrouped with them.
    @Test func gathersAndScattersTieTheChannelsTheyMap() throws {
        let g = try NetworkParser.parse(source: Array("""
            network: maps
            input: [3, 4, 4]
            classes: 2
            layers:
              - conv: {name: c, out: 6, bn: true, gate: true, act: relu}
              - gather: {name: g, channels: [1, 4]}
              - scatter: {name: s, out: 5, channels: [0, 3]}
              - gap
              - linear: {name: fc, out: 2}

            """.utf8), file: "maps.yaml")
        let r = computeChannelCoupling(g)
        let four = try #require(group(containing: "c", channel: 4, in: r, g))
        // conv channels 1 and 4 reach the same tensors: one group of width 2
        #expect(four.ties == [.channelMap] && four.width == 2)
        #expect(four.members.first { g.nodes[$0.node].name == "c" }?.channels == [1...1, 4...4])
        #expect(four.members.first { g.nodes[$0.node].name == "g" }?.channels == [0...1])
        #expect(four.members.first { g.nodes[$0.node].name == "s" }?.channels == [0...0, 3...3])
        // channel 1 of the scatter is padding: no conv channel is tied to it
        let padding = try #require(group(containing: "s", channel: 1, in: r, g))
        #expect(!padding.members.contains { g.nodes[$0.node].name == "c" })
    }
}
