import DNALCore
import DNALRuntime
import DNALTestSupport
import Testing

@Suite("Memory planner")
struct MemoryPlanTests {
    @Test("random intervals never overlap while live", arguments: 0..<50)
    func randomIntervals(seed: Int) {
        var rng = SeededRandom(seed: UInt64(seed))
        let intervals = (0..<Int(rng.next() % 60 + 1)).map { i -> MemoryPlan.Interval in
            let start = Int(rng.next() % 40), length = Int(rng.next() % 15)
            return MemoryPlan.Interval(tensor: .activation(i), size: Int(rng.next() % 1000), start: start, end: start + length)
        }
        let plan = MemoryPlan(intervals)
        #expect(plan.conflicts().isEmpty)
        #expect(plan.totalFloats <= intervals.reduce(0) { $0 + ($1.size + 15) / 16 * 16 })
        // never smaller than the most memory live at one moment
        let peak = (0..<60).map { t in intervals.filter { $0.start <= t && t <= $0.end }.reduce(0) { $0 + $1.size } }.max() ?? 0
        #expect(plan.totalFloats >= peak)
    }

    @Test("plans of generated networks never overlap live tensors", arguments: 0..<30)
    func generatedNetworks(seed: Int) throws {
        let graph = try parse(RandomNetwork(seed: UInt64(seed)).yaml)
        for training in [true, false] {
            let e = try Executor(graph: graph, maxBatch: 3, training: training, threads: 1)
            #expect(e.planConflicts.isEmpty)
        }
    }

    /// A forward pass leaves its input as it found it, so running it again on the same images gives
    /// the same logits (the plan once let a later tensor take the input's memory: repeated, as
    /// `bench` does, MobileNetV2's input decayed into denormals and every layer slowed 20x).
    @Test("inference runs again on the same input to the same logits", arguments: ["mobilenetv2-cifar10.yaml", "resnet20-cifar10.yaml"])
    func inferenceKeepsItsInput(file: String) throws {
        let graph = try NetworkParserShim.parse(Repository.architecture(file).path)
        let e = try Executor(graph: graph, maxBatch: 2, training: false, threads: 1)
        e.parameters.initialize(seed: 3)
        var rng = SeededRandom(seed: 4)
        let count = 2 * graph.inputShape.elementCount
        let images = (0..<count).map { _ in Float(rng.normal()) }
        for i in 0..<count { e.input[i] = images[i] }
        var runs: [[Float]] = []
        for _ in 0..<2 {
            try e.forward(batch: 2)
            runs.append(Array(UnsafeBufferPointer(start: e.logits, count: 2 * graph.classes)))
        }
        #expect((0..<count).allSatisfy { e.input[$0] == images[$0] })
        #expect(runs[0] == runs[1])
    }

    @Test func inferenceReusesMemory() throws {
        let graph = try NetworkParserShim.parse(Repository.architecture("resnet20-cifar10.yaml").path)
        let inference = try Executor(graph: graph, maxBatch: 8, training: false, threads: 1)
        let training = try Executor(graph: graph, maxBatch: 8, training: true, threads: 1)
        let everyActivation = graph.nodes.reduce(0) { $0 + $1.shape.elementCount } * 8
        #expect(inference.arenaFloats * 5 < everyActivation)
        #expect(training.arenaFloats < 2 * everyActivation)
        #expect(inference.planConflicts.isEmpty && training.planConflicts.isEmpty)
    }
}
