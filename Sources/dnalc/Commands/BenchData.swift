import DNALCore
import DNALData
import DNALSearch
import Foundation

/// `dnalc bench FILE --data DIR`: how fast the data reaches the network, with no training:
/// reading (for an image folder: decoding every file once) and one epoch of augmented training
/// batches, in images per second.
struct DataBenchmark {
    var readSeconds: Double
    var images: Int
    var batchSeconds: Double
    var batchImages: Int
    var source: String

    static func measure(_ graph: Graph, directory: String, batch: Int) throws -> DataBenchmark {
        let start = Date()
        let splits = try DatasetLoader.load(directory: directory, images: ImageReading().options(for: graph.inputShape))
        let readSeconds = Date().timeIntervalSince(start)
        try splits.check(fits: graph)
        let train = splits.train
        let source = BatchSource(dataset: train, batchSize: batch, augmentation: .standard(for: train),
                                 normalization: Normalization.compute(from: train), seed: 1)
        let order = source.order(epoch: 0)
        var images = [Float](repeating: 0, count: batch * train.sampleBytes), labels = [Int32](repeating: 0, count: batch)
        let batchStart = Date()
        var filled = 0
        for b in 0..<source.batchesPerEpoch {
            filled += try source.fill(order: order, index: b, epoch: 0, augment: true, images: &images, labels: &labels)
        }
        return DataBenchmark(readSeconds: readSeconds, images: train.count + splits.test.count, batchSeconds: Date().timeIntervalSince(batchStart),
                             batchImages: filled, source: splits.source)
    }

    var table: String {
        """
        data           \(source)
        read           \(images) images in \(fixed(readSeconds, 2)) s: \(fixed(Double(images) / max(readSeconds, 1e-9), 0)) images/s (an image folder: every file decoded)
        batches        one augmented training epoch, \(batchImages) images in \(fixed(batchSeconds, 2)) s: \(fixed(Double(batchImages) / max(batchSeconds, 1e-9), 0)) images/s

        """
    }
}
