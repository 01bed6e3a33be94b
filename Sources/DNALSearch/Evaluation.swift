import DNALData
import DNALKernels
import DNALRuntime

/// Loss, top-1 and top-5 accuracy (in %) of a network on a data split.
public struct Evaluation: Codable, Equatable, Sendable {
    public var loss: Double
    public var top1: Double
    public var top5: Double
    public var images: Int
}

extension Evaluation {
    /// Runs `executor` (inference) over every sample of `source`'s data set, unaugmented.
    public static func run(_ executor: Executor, source: BatchSource) throws -> Evaluation {
        let d = source.dataset, classes = executor.graph.classes
        let order = source.order(epoch: 0, shuffle: false)
        let images = UnsafeMutablePointer<Float>.allocate(capacity: source.batchSize * d.sampleBytes)
        let labels = UnsafeMutablePointer<Int32>.allocate(capacity: source.batchSize)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: source.batchSize * classes)
        defer { images.deallocate(); labels.deallocate(); scratch.deallocate() }
        var lossSum = 0.0, top1 = 0, top5 = 0
        for b in 0..<source.batchesPerEpoch {
            let n = try source.fill(order: order, index: b, epoch: 0, augment: false, images: images, labels: labels)
            executor.setInput(chw: images, batch: n)
            try executor.forward(batch: n)
            guard let loss = LossKernel.softmaxCrossEntropy(logits: executor.logits, labels: labels, batch: n, classes: classes,
                                                           dLogits: scratch) else {
                throw SearchError("evaluation produced non-finite logits (NaN or infinity)")
            }
            lossSum += loss * Double(n)
            for i in 0..<n {
                let row = executor.logits + i * classes, label = Int(labels[i])
                // rank = how many classes score higher than the label (ties count against it)
                var rank = 0
                for c in 0..<classes where c != label && row[c] >= row[label] { rank += 1 }
                if rank == 0 { top1 += 1 }
                if rank < 5 { top5 += 1 }
            }
        }
        let count = Double(max(d.count, 1))
        return Evaluation(loss: lossSum / count, top1: 100 * Double(top1) / count, top5: 100 * Double(top5) / count, images: d.count)
    }
}
