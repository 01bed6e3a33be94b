import DNALCore
import DNALKernels
import DNALRuntime
import DNALTestSupport
import Testing

/// Fused conv lines compute what the node-by-node plan computes.
@Suite("Fusion")
struct FusionTests {
    @Test("fused and unfused plans agree", arguments: ["resnet8-mnist.yaml", "mobilenet-tiny-mnist.yaml", "supernet-tiny-mnist.yaml"])
    func agree(file: String) throws {
        let graph = try NetworkParserShim.parse(Repository.architecture(file).path)
        for mode in GateKernel.Mode.allCases {
            var results: [([Float], [Float], Double)] = []
            for fuse in [true, false] {
                let (e, labels) = try trainingExecutor(graph, batch: 4, seed: 5, fuse: fuse)
                e.gateMode = mode
                e.beta = 3
                for entry in e.parameters.entries where entry.name.hasSuffix(".alpha") {
                    e.parameters.set(entry.name, Numerics.random(entry.count, seed: 6, scale: 0.5).map(Float.init))
                }
                try e.forward(batch: 4)
                let logits = Array(UnsafeBufferPointer(start: e.logits, count: 4 * graph.classes))
                let loss = try e.backward(labels: labels)
                results.append((logits, Array(UnsafeBufferPointer(start: e.parameters.gradients, count: e.parameters.trainableCount)), loss))
            }
            #expect(Numerics.firstMismatch(results[0].0, results[1].0, rtol: 1e-4, atol: 1e-5) == nil, "\(file) \(mode) logits")
            let scale = Numerics.maxAbs(results[1].1)
            #expect(Numerics.firstMismatch(results[0].1, results[1].1, rtol: 1e-3, atol: 1e-4 * scale) == nil, "\(file) \(mode) gradients")
            #expect(abs(results[0].2 - results[1].2) < 1e-5)
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
          arguments: ["vgg6-mnist.yaml", "resnet8-mnist.yaml", "mobilenet-tiny-mnist.yaml", "supernet-tiny-mnist.yaml"])
    func folding(file: String) throws {
        let graph = try NetworkParserShim.parse(Repository.architecture(file).path)
        let input = Numerics.random(3 * graph.inputShape.elementCount, seed: 8).map(Float.init)
        for mode in GateKernel.Mode.allCases {
            var logits: [[Float]] = []
            for fuse in [true, false] {
                let e = try Executor(graph: graph, maxBatch: 3, training: false, threads: 2, fuse: fuse)
                e.parameters.initialize(seed: 4)
                e.gateMode = mode
                e.beta = 4
                for entry in e.parameters.entries {
                    let v = Numerics.random(entry.count, seed: UInt64(entry.offset) + 99)
                    if entry.name.hasSuffix("running_var") { e.parameters.set(entry.name, v.map { Float(0.5 + abs($0)) }) }
                    if entry.name.hasSuffix("running_mean") || entry.name.hasSuffix(".alpha") { e.parameters.set(entry.name, v.map { Float($0 * 0.5) }) }
                    if entry.group == .batchNorm2d && entry.name.hasSuffix(".bias") { e.parameters.set(entry.name, v.map { Float($0) }) }
                    if entry.name.hasSuffix(".mask") { e.parameters.set(entry.name, v.map { $0 > -0.5 ? 1 : 0 }) }
                }
                e.input.update(from: input, count: input.count)
                try e.forward(batch: 3)
                logits.append(Array(UnsafeBufferPointer(start: e.logits, count: 3 * graph.classes)))
            }
            #expect(Numerics.firstMismatch(logits[0], logits[1], rtol: 1e-4, atol: 1e-5) == nil, "\(file) \(mode)")
        }
    }
}
