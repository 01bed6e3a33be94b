import DNALCore
import DNALRuntime
import DNALSyntax
import DNALTestSupport
import Testing

/// A training block read only by a depthwise or 1x1 block never stores its output: the reader
/// takes the raw conv output through the block's batch norm, gate and activation.
@Suite("Deferred block outputs")
struct DeferredOutputTests {
    /// Expansions with each activation, a gated one, stride 1 and 2, odd widths (a masked
    /// channel tail), one feeding a 5x5 depthwise conv, and depthwise blocks feeding 1x1 ones;
    /// `shared` is read by two depthwise blocks, d4 and d5 by a sum, so they keep their outputs.
    static let network = """
        network: deferred
        input: [3, 9, 9]
        classes: 4
        defaults: {conv: {bn: true}}
        layers:
          - conv: {name: stem, out: 8, kernel: 3, act: relu}
          - conv: {name: e1, out: 21, kernel: 1, act: relu6}
          - conv: {name: d1, depthwise: true, kernel: 3, gate: true, act: relu6}
          - conv: {name: e2, out: 19, kernel: 1, gate: true}
          - conv: {name: d2, depthwise: true, kernel: 3, stride: 2, act: relu}
          - conv: {name: e3, out: 32, kernel: 1, act: relu}
          - conv: {name: d3, depthwise: true, kernel: 5, gate: true}
          - conv: {name: shared, out: 16, kernel: 1, act: relu}
          - conv: {name: d4, depthwise: true, kernel: 3, act: relu}
          - conv: {name: d5, from: shared, depthwise: true, kernel: 3, act: relu}
          - add: {name: sum, from: [d4.act, d5.act]}
          - gap: {name: pool}
          - linear: {name: fc, out: 4}
        """

    /// With the conv weights frozen (phase 2 of a search) the readers' backward passes take
    /// another path, which reads no input.
    @Test("deferred outputs give the same outputs and gradients", arguments: [false, true])
    func agree(frozen: Bool) throws {
        let graph = try NetworkParser.parse(source: Array(Self.network.utf8), file: "deferred.yaml")
        var results: [([Float], [Float], Double)] = []
        var arenas: [Int] = []
        for deferring in [true, false] {
            let (e, labels) = try trainingExecutor(graph, batch: 3, seed: 11, deferOutputs: deferring)
            #expect(e.deferredOutputs == (deferring ? ["stem", "e1", "d1", "e2", "d2", "e3", "d3"] : []))
            if frozen { e.frozen = [.conv] }
            #expect(e.planConflicts.isEmpty)
            e.gate.mode = .search
            e.gate.beta = 2
            for entry in e.parameters.entries where entry.name.hasSuffix(".alpha") {
                e.parameters.set(entry.name, Numerics.random(entry.count, seed: 12, scale: 0.5).map(Float.init))
            }
            arenas.append(e.arenaFloats)
            // twice: the second step's affine must be its own batch's, not the first's
            for _ in 0..<2 {
                results.append(try trainingStep(e, batch: 3, labels: labels))
                for entry in e.parameters.entries where entry.name.hasSuffix(".weight") {
                    e.parameters.set(entry.name, e.parameters.values(of: entry.name).map { $0 * 0.9 + 0.01 })
                }
            }
        }
        #expect(arenas[0] < arenas[1])
        for k in 0..<2 {
            #expect(results[k].0 == results[2 + k].0, "logits, step \(k)")
            #expect(results[k].2 == results[2 + k].2, "loss, step \(k)")
            // the deferred blocks' batch-norm sums are added up image by image by their readers'
            // backward passes (`Executor.DeferredSums`), in another order than their own pass's:
            // the same gradients up to rounding
            let scale = Numerics.maxAbs(results[2 + k].1)
            #expect(Numerics.firstMismatch(results[k].1, results[2 + k].1, rtol: 1e-4, atol: 1e-6 * scale) == nil,
                    "gradients, step \(k)")
        }
    }
}
