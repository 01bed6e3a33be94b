import DNALCore
import DNALRuntime
import DNALSyntax
import DNALTestSupport
import Testing

/// Inference runs an inverted-residual block (expansion, depthwise, projection) image by image as
/// one step, with the channel maps and sums of a pruned network, and computes what the node-by-node
/// plan computes.
@Suite("Inverted-residual fusion")
struct InvertedResidualFusionTests {
    /// Three blocks: a pruned one reading 5 of its trunk's 8 channels and adding into 6 of them; a
    /// stride-2 one with no sum and 17 expanded channels (not a whole vector); one whose shortcut
    /// is a conv the file computes after the branch (it must run before the expansion).
    static let source = """
        network: inverted
        input: [3, 12, 12]
        classes: 5
        layers:
          - conv: {name: stem, out: 8, kernel: 3, padding: 1, bn: true, act: relu6}
          - gather: {name: b1.gather, channels: [0, 1, 3, 4, 7]}
          - conv: {name: b1.expand, out: 20, kernel: 1, bn: true, act: relu6}
          - conv: {name: b1.dw, depthwise: true, kernel: 3, padding: 1, bn: true, act: relu6}
          - conv: {name: b1.project, out: 6, kernel: 1, bn: true}
          - scatter: {name: b1.scatter, out: 8, channels: [0, 2, 3, 4, 6, 7]}
          - add: {name: b1.add, from: [b1.scatter, stem.act]}
          - conv: {name: b2.expand, out: 17, kernel: 1, bn: true, act: relu}
          - conv: {name: b2.dw, depthwise: true, kernel: 3, stride: 2, padding: 1, bn: true, act: relu}
          - conv: {name: b2.project, out: 10, kernel: 1, bn: true}
          - conv: {name: b3.expand, out: 40, kernel: 1, bn: true, act: relu}
          - conv: {name: b3.dw, depthwise: true, kernel: 3, padding: 1, bn: true, act: relu}
          - conv: {name: b3.project, out: 12, kernel: 1, bn: true}
          - conv: {name: b3.shortcut, from: b2.project.bn, out: 12, kernel: 1, bn: true}
          - add: {name: b3.add, from: [b3.project.bn, b3.shortcut.bn]}
          - gap: {name: pool}
          - linear: {name: fc, out: 5}
        """

    @Test func blocksRunAsOneStepAndMatchTheStepByStepPlan() throws {
        let graph = try NetworkParser.parse(source: Array(Self.source.utf8), file: "inverted.yaml")
        let logits = try InferenceResidualFusionTests.logitsOfEveryPlan(graph, batch: 3, inputSeed: 23, seed: 29) { e in
            let steps = e.stepNames
            let blocks = steps.filter { $0.op == "inverted residual" }.map(\.name)
            #expect(blocks == ["b1.expand..b1.project", "b2.expand..b2.project", "b3.expand..b3.project"], "\(steps)")
            #expect(steps.firstIndex { $0.name == "b3.shortcut" }! < steps.firstIndex { $0.name == "b3.expand..b3.project" }!)
            #expect(e.sumsComputedInPlace == ["b1.add", "b3.add"])
            #expect(e.planConflicts.isEmpty)
        }
        for k in 1..<logits.count {
            #expect(Numerics.firstMismatch(logits[k], logits[0], rtol: 1e-4, atol: 1e-5) == nil, "plan \(k)")
        }
    }

    /// Every block of MobileNetV2 runs as one step, so no expanded tensor is planned for the batch.
    @Test func everyMobileNetV2BlockRunsAsOneStep() throws {
        let graph = try NetworkParserShim.parse(Repository.architecture("mobilenetv2-cifar10.yaml").path)
        let e = try Executor(graph: graph, maxBatch: 2, training: false, threads: 1)
        #expect(e.stepNames.filter { $0.op == "inverted residual" }.count == 17)
        #expect(!e.stepNames.contains { $0.name.hasSuffix(".dw") || $0.name.hasSuffix(".expand") })
        let unfused = try Executor(graph: graph, maxBatch: 2, training: false, threads: 1, fuse: false)
        #expect(e.arenaFloats * 3 < unfused.arenaFloats)
    }
}
