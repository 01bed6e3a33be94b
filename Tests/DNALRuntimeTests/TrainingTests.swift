import DNALCore
import DNALKernels
import DNALRuntime
import DNALSyntax
import DNALTestSupport
import Foundation
import Testing

@Suite("Training steps")
struct TrainingTests {
    /// Losses of `steps` SGD steps on one fixed batch.
    func trajectory(_ file: String, steps: Int, threads: Int, mode: Gate.Mode = .identity) throws -> [Double] {
        let graph = try NetworkParserShim.parse(Repository.architecture(file).path)
        let (e, labels) = try trainingExecutor(graph, batch: 8, seed: 42, threads: threads)
        e.gate.mode = mode
        e.gate.beta = 2.5
        let opt = Optimizer(.sgd(momentum: 0.9, nesterov: false), store: e.parameters)
        let input = Array(UnsafeBufferPointer(start: e.input, count: 8 * graph.inputShape.elementCount))
        var losses: [Double] = []
        for _ in 0..<steps {
            e.input.update(from: input, count: input.count)
            try e.forward(batch: 8)
            losses.append(try e.backward(labels: labels))
            opt.step(groups: Set(ParameterGroup.allCases), learningRate: 0.05, weightDecay: 1e-4)
        }
        return losses
    }

    @Test("20 SGD steps: the same trajectory twice, and the loss falls",
          arguments: ["vgg6-mnist.yaml", "resnet8-mnist.yaml", "mobilenet-tiny-mnist.yaml", "supernet-tiny-mnist.yaml"])
    func deterministicAndLearning(file: String) throws {
        let a = try trajectory(file, steps: 20, threads: 2)
        let b = try trajectory(file, steps: 20, threads: 2)
        #expect(a == b)
        #expect(a.last! < 0.5 * a.first!, "\(file): \(a.first!) -> \(a.last!)")
        #expect(a.allSatisfy { $0.isFinite })
    }

    @Test func searchModeTrainsAlphasToo() throws {
        let graph = try NetworkParserShim.parse(Repository.architecture("vgg6-mnist.yaml").path)
        let (e, labels) = try trainingExecutor(graph, batch: 8, seed: 1)
        e.gate.mode = .search
        e.gate.beta = 2.5
        e.frozen = [.conv, .batchNorm2d]
        let opt = Optimizer(.sgd(momentum: 0.9, nesterov: false), store: e.parameters)
        let convBefore = e.parameters.values(of: "conv1.weight"), alphaBefore = e.parameters.values(of: "conv1.gate.alpha")
        try e.forward(batch: 8)
        try e.backward(labels: labels)
        #expect(e.parameters.values(of: "conv1.weight").count == convBefore.count)
        // frozen groups get no gradient computed (their weight-gradient kernels are skipped)
        let convGrad = e.parameters.gradient("conv1.weight")
        #expect((0..<convBefore.count).allSatisfy { convGrad[$0] == 0 })
        opt.step(groups: [.alpha, .linear, .batchNorm1d], learningRate: 0.01, weightDecay: 0)
        #expect(e.parameters.values(of: "conv1.weight") == convBefore)
        #expect(e.parameters.values(of: "conv1.gate.alpha") != alphaBefore)
    }

    @Test func errorsAreReportedBeforeAllocation() throws {
        let graph = try NetworkParserShim.parse(Repository.architecture("vgg16-imagenet.yaml").path)
        #expect(throws: RuntimeError("the batch size must be at least 1, got 0")) {
            try Executor(graph: graph, maxBatch: 0, training: true)
        }
        do {
            _ = try Executor(graph: graph, maxBatch: 100_000, training: true)
            Issue.record("a 100,000-image VGG16 batch was planned")
        } catch let error as RuntimeError {
            #expect(error.message.hasPrefix("'vgg16-imagenet' at batch 100000 needs "))
            #expect(error.message.contains("GiB of memory, more than the"))
        }
    }

    @Test func misuseAndBadValuesGiveClearErrors() throws {
        let graph = try NetworkParserShim.parse(Repository.architecture("vgg6-mnist.yaml").path)
        let (e, labels) = try trainingExecutor(graph, batch: 4, seed: 2)
        #expect(throws: RuntimeError("backward needs a forward pass first")) { try e.backward(labels: labels) }
        #expect(throws: RuntimeError("batch of 5 samples; this executor was planned for 1 to 4")) { try e.forward(batch: 5) }
        try e.forward(batch: 4)
        #expect(throws: RuntimeError("label 10 of sample 1 is outside 0..<10")) { try e.backward(labels: [0, 10, 2, 3]) }
        e.input[0] = .nan
        try e.forward(batch: 4)
        #expect(throws: RuntimeError("the network produced non-finite logits (NaN or infinity)")) { try e.backward(labels: labels) }
        let inference = try Executor(graph: graph, maxBatch: 2, training: false)
        try inference.forward(batch: 2)
        #expect(throws: RuntimeError("backward needs an executor made for training")) { try inference.backward(labels: [0, 1]) }
    }
}

/// `Optimizer.step` shares arrays of 65,536 parameters and more out over the executor's workers;
/// each element's update is its own, so the parameters and the optimizer's state must come out
/// bit for bit as the caller alone makes them (SGD and Adam, two steps each).
@Suite("Optimizer over threads")
struct OptimizerThreadsTests {
    static let source = """
        network: wide
        input: [96, 2, 2]
        classes: 5
        layers:
          - conv: {name: wide, out: 96, kernel: 3, padding: 1, bn: true, act: relu}
          - gap: {name: pool}
          - linear: {name: fc, out: 5}
        """

    @Test("a shared-out update equals the caller's", arguments: [false, true])
    func sharedOutUpdateEqualsTheCallers(adam: Bool) throws {
        let graph = try NetworkParser.parse(source: Array(Self.source.utf8), file: "wide.yaml")
        var results: [([Float], [Float])] = []
        for shared in [false, true] {
            let (e, labels) = try trainingExecutor(graph, batch: 4, seed: 9, threads: 2)
            #expect(e.parameters.values(of: "wide.weight").count >= 65_536)
            let rule: Optimizer.Rule = adam ? .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8) : .sgd(momentum: 0.9, nesterov: true)
            let opt = Optimizer(rule, store: e.parameters)
            for _ in 0..<2 {
                try e.forward(batch: 4)
                _ = try e.backward(labels: labels)
                opt.step(groups: Set(ParameterGroup.allCases), learningRate: 0.01, weightDecay: 1e-4,
                         parallel: shared ? e.parallel : nil)
            }
            let n = e.parameters.trainableCount
            results.append((Array(UnsafeBufferPointer(start: e.parameters.values, count: n)),
                            Array(UnsafeBufferPointer(start: opt.state1, count: n))))
        }
        // (compared first: a failing #expect on the arrays themselves prints all 85,000 values)
        let sameValues = results[0].0 == results[1].0, sameState = results[0].1 == results[1].1
        #expect(sameValues, "parameters")
        #expect(sameState, "optimizer state")
    }
}
