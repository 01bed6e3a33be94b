import DNALCore
import DNALTestSupport
import Testing
@testable import DNALPasses

@Suite("Cost")
struct CostTests {
    /// (file, FLOPs, params, gate layers, gates) under the dnal convention. The CIFAR-10 rows are the
    /// paper's README figures; the ImageNet rows were computed independently (docs/dnal-method.md 7.1 rules
    /// in a separate script) and agree with the reference's gate counts and ProxylessNAS's 16.0M.
    static let dnal: [(String, Int, Int, Int, Int)] = [
        ("vgg16-cifar10", 313_472_778, 14_990_922, 13, 4_224),
        ("resnet56-cifar10", 125_487_738, 853_018, 55, 2_032),
        ("mobilenetv2-cifar10", 91_172_498, 2_296_922, 35, 9_920),
        ("vgg16-imagenet", 15_470_281_960, 138_365_992, 13, 4_224),
        ("resnet50-imagenet", 4_089_207_976, 25_549_352, 49, 22_720),
        ("mobilenetv2-imagenet", 300_792_328, 3_504_872, 35, 9_920),
        ("proxylessnas-imagenet", 2_260_456_600, 16_034_168, 255, 60_704),
    ]

    @Test("the paper's networks under the dnal convention", arguments: dnal)
    func paperNetworks(file: String, flops: Int, params: Int, gateLayers: Int, gates: Int) throws {
        let r = computeCost(try architecture(file), convention: .dnal)
        #expect(r.totalFLOPs == flops)
        #expect(r.totalParams == params)
        #expect(r.gateLayers == gateLayers)
        #expect(r.gateChannels == gates)
    }

    @Test func macsConventionMatchesTorchvisionParameterCounts() throws {
        // torchvision's resnet50 and mobilenet_v2 have 25,557,032 and 3,504,872 parameters.
        #expect(computeCost(try architecture("resnet50-imagenet"), convention: .macs).totalParams == 25_557_032)
        #expect(computeCost(try architecture("mobilenetv2-imagenet"), convention: .macs).totalParams == 3_504_872)
        let r50 = computeCost(try architecture("resnet50-imagenet"), convention: .macs)
        #expect(r50.totalFLOPs == 4_089_184_256)
        #expect(computeCost(try architecture("resnet50-imagenet"), convention: .flops).totalFLOPs == 2 * 4_089_184_256)
    }

    @Test func handComputedSmallNetwork() throws {
        // conv 3->4 k3 on 8x8 (bias, BN, prunable): 4*3*9 = 108 weights, 108*64 = 6912 MACs.
        // plain conv 4->2 k1 (BN, not prunable): 8 weights, 8*64 = 512 MACs.
        // linear 2->5 with bias: 10 weights.
        let g = try parse("""
            network: t
            input: [3, 8, 8]
            classes: 5
            layers:
              - conv: {out: 4, bias: true, bn: true, gate: true, act: relu}
              - conv: {out: 2, kernel: 1, bn: true, prunable: false}
              - gap
              - linear: {out: 5}

            """)
        let dnal = computeCost(g, convention: .dnal), macs = computeCost(g, convention: .macs), flops = computeCost(g, convention: .flops)
        #expect(dnal.totalFLOPs == (6912 + 4) + 4 + 512 + (10 + 5))
        #expect(dnal.totalParams == (108 + 4) + 8 + 8 + (10 + 5))
        #expect(macs.totalFLOPs == 6912 + 512 + 10)
        #expect(macs.totalParams == (108 + 4) + 8 + 8 + 4 + (10 + 5))
        #expect(flops.totalFLOPs == 2 * macs.totalFLOPs && flops.totalParams == macs.totalParams)
        #expect(dnal.layers.map(\.name) == g.nodes.dropFirst().map(\.name))
    }

    @Test("cost is additive over layers", arguments: 0..<60)
    func additive(seed: Int) throws {
        let net = RandomNetwork(seed: UInt64(seed))
        let g = try parse(net.yaml)
        for convention in CostConvention.allCases {
            let r = computeCost(g, convention: convention)
            #expect(r.totalFLOPs == r.layers.reduce(0) { $0 + $1.flops })
            #expect(r.totalParams == r.layers.reduce(0) { $0 + $1.params })
        }
        // Inserting one shape-keeping 1x1 conv before the pool adds exactly its own cost.
        let last = g.nodes[g.nodes.count - 3].shape
        let extra = net.yaml.replacingOccurrences(of: "  - gap: {name: pool}",
                                                  with: "  - conv: {name: extra, out: \(last.channels), kernel: 1}\n  - gap: {name: pool}")
        let before = computeCost(g, convention: .macs), after = computeCost(try parse(extra), convention: .macs)
        let c = last.channels
        #expect(after.totalFLOPs - before.totalFLOPs == c * c * last.height * last.width)
        #expect(after.totalParams - before.totalParams == c * c)
    }
}
