import DNALCore
import DNALRuntime
import DNALSyntax
import DNALTestSupport

/// Parses DSL text.
func parse(_ text: String) throws -> Graph {
    try NetworkParser.parse(source: Array(text.utf8), file: "t.yaml")
}

/// A training executor with initialised parameters and a seeded random batch in its input.
func trainingExecutor(_ graph: Graph, batch: Int, seed: UInt64, threads: Int = 2, fuse: Bool = true,
                      sumsInPlace: Bool = true, deferOutputs: Bool = true) throws -> (Executor, [Int32]) {
    let e = try Executor(graph: graph, maxBatch: batch, training: true, threads: threads, fuse: fuse, sumsInPlace: sumsInPlace,
                         deferOutputs: deferOutputs)
    e.parameters.initialize(seed: seed)
    let x = Numerics.random(batch * graph.inputShape.elementCount, seed: seed + 1).map(Float.init)
    e.input.update(from: x, count: x.count)
    var rng = SeededRandom(seed: seed + 2)
    let labels = (0..<batch).map { _ in Int32(rng.next() % UInt64(graph.classes)) }
    return (e, labels)
}

/// One training step of `e` on the batch already in its input: the logits of its forward pass,
/// the parameter gradients of its backward pass and the loss.
func trainingStep(_ e: Executor, batch: Int, labels: [Int32]) throws -> (logits: [Float], gradients: [Float], loss: Double) {
    try e.forward(batch: batch)
    let logits = Array(UnsafeBufferPointer(start: e.logits, count: batch * e.graph.classes))
    let loss = try e.backward(labels: labels)
    return (logits, Array(UnsafeBufferPointer(start: e.parameters.gradients, count: e.parameters.trainableCount)), loss)
}

/// Parses an architecture file, as tests outside the syntax target do.
enum NetworkParserShim {
    static func parse(_ path: String) throws -> Graph { try NetworkParser.parse(file: path) }
}
