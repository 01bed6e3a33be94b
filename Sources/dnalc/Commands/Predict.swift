import ArgumentParser
import DNALCore
import DNALData
import DNALRuntime
import DNALSearch
import Foundation

/// `dnalc predict FILE --weights W --input X.npy --output LOGITS.npy`: inference, logits as .npy.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a network with its weights and write the logits as a NumPy .npy file.",
        discussion: """
            --input X.npy is the network's input tensor exactly as fed to it: float32 (or float64) NCHW \
            [N, C, H, W], or one image [C, H, W], already normalised. --input DIR (CIFAR-10 binary batches or \
            MNIST-family IDX files) or --input bundled takes that data's test split, normalised with the mean \
            and std recorded in the weights. The output is float32 [N, classes], in input order; gated networks \
            run with their hard gates.
            """
    )

    @Argument(help: "The network file (YAML).")
    var file: String

    @OptionGroup var weightsFile: WeightsOption

    @Option(help: ArgumentHelp("A .npy tensor, a data directory, or 'bundled'.", valueName: "X.npy|dir|bundled"))
    var input: String

    @Option(help: ArgumentHelp("The logits file to write.", valueName: "logits.npy"))
    var output: String

    @Option(help: "Images per forward pass.")
    var batch = 256

    @OptionGroup var workers: ThreadsOption

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
        guard output.hasSuffix(".npy") else { throw ValidationError("--output must name a .npy file, got '\(output)'") }
    }

    func run() throws {
        let graph = try loadNetwork(file)
        try exitingOnUserError {
            let (executor, recorded) = try inferenceExecutor(graph, weights: weightsFile.weights, batch: batch, threads: workers.threads)
            let images = try inputImages(graph: graph, normalization: recorded)
            let sample = graph.inputShape.elementCount, count = images.count / sample, classes = graph.classes
            var logits = [Float](repeating: 0, count: count * classes)
            for start in stride(from: 0, to: count, by: batch) {
                let n = min(batch, count - start)
                images.withUnsafeBufferPointer { executor.setInput(chw: $0.baseAddress! + start * sample, batch: n) }
                try executor.forward(batch: n)
                for i in 0..<(n * classes) {
                    guard executor.logits[i].isFinite else {
                        throw RuntimeError("image \(start + i / classes) gives non-finite logits (NaN or infinity); check the input's values")
                    }
                    logits[start * classes + i] = executor.logits[i]
                }
            }
            try writeAtomically(NPY.encode(NPY.Array(shape: [count, classes], values: logits)), to: output)
            print("wrote \(count) x \(classes) logits to \(output)")
        }
    }

    /// The images to run, NCHW and normalised: the .npy tensor as it is, or a test split.
    func inputImages(graph: Graph, normalization recorded: Normalization?) throws -> [Float] {
        let dims = graph.inputShape.dims
        if input.hasSuffix(".npy") {
            let array = try NPY.read(input)
            guard Array(array.shape.suffix(3)) == dims, (3...4).contains(array.shape.count) else {
                throw DataError("\(input): shape [\(array.shape.map(String.init).joined(separator: ", "))], but '\(graph.name)' takes [N, \(dims.map(String.init).joined(separator: ", "))] or one [\(dims.map(String.init).joined(separator: ", "))] image")
            }
            guard array.values.allSatisfy({ $0.isFinite }) else { throw DataError("\(input): contains NaN or infinite values") }
            return array.values
        }
        let splits = try DatasetLoader.load(directory: input == "bundled" ? nil : input)
        try splits.check(fits: graph)
        let source = BatchSource(dataset: splits.test, batchSize: splits.test.count, augmentation: .none,
                                 normalization: recorded ?? Normalization.compute(from: splits.train), seed: 0)
        var images = [Float](repeating: 0, count: splits.test.count * splits.test.sampleBytes)
        var labels = [Int32](repeating: 0, count: splits.test.count)
        _ = source.fill(order: source.order(epoch: 0, shuffle: false), index: 0, epoch: 0, augment: false, images: &images, labels: &labels)
        return images
    }
}
