import DNALCore
import DNALData
import DNALRuntime
import DNALSearch
import DNALSyntax
import DNALTestSupport
import Foundation
import Testing

/// `Evaluation.run` against a direct computation on the same logits: sort each row, find the
/// label's place, and take the cross-entropy in double precision.
@Suite("Evaluation")
struct EvaluationTests {
    @Test func matchesAnIndependentCountOnTheSameLogits() throws {
        let data = try DatasetLoader.load(directory: nil)
        let graph = try NetworkParser.parse(file: Repository.architecture("vgg6-mnist.yaml").path)
        let test = data.test.prefix(300)
        let normalization = Normalization.compute(from: data.train)
        let executor = try Executor(graph: graph, maxBatch: 128, training: false, threads: 2)
        executor.parameters.initialize(seed: 5)

        // 300 images in batches of 128: two full batches and a partial one
        let result = try Evaluation.run(executor, source: BatchSource(dataset: test, batchSize: 128, augmentation: .none,
                                                                      normalization: normalization, seed: 0))

        let single = BatchSource(dataset: test, batchSize: 1, augmentation: .none, normalization: normalization, seed: 0)
        let order = single.order(epoch: 0, shuffle: false)
        var image = [Float](repeating: 0, count: test.sampleBytes), label: Int32 = 0
        var top1 = 0, top5 = 0, loss = 0.0
        for i in 0..<test.count {
            _ = try single.fill(order: order, index: i, epoch: 0, augment: false, images: &image, labels: &label)
            executor.setInput(chw: image, batch: 1)
            try executor.forward(batch: 1)
            let row = (0..<graph.classes).map { Double(executor.logits[$0]) }
            let ranked = row.indices.sorted { row[$0] > row[$1] }
            if ranked[0] == Int(label) { top1 += 1 }
            if ranked.prefix(5).contains(Int(label)) { top5 += 1 }
            let top = row.max()!
            loss += top + log(row.map { exp($0 - top) }.reduce(0, +)) - row[Int(label)]
        }
        #expect(result.images == 300)
        #expect(result.top1 == 100 * Double(top1) / 300)
        #expect(result.top5 == 100 * Double(top5) / 300)
        #expect(abs(result.loss - loss / 300) <= 1e-5 * loss / 300)
        #expect(top5 > top1)  // the two counts are not the same statistic by accident
    }
}
