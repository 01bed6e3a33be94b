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
            [N, C, H, W], or one image [C, H, W], already normalised. --input IMAGE.png|.jpg, or a folder of \
            PNG/JPEG files, runs those images, in sorted file-name order, resized and centre-cropped as an image \
            folder's evaluation split is, normalised with the mean and std recorded in the weights; it also \
            prints each file's top class. --input DIR (CIFAR-10 binary batches, MNIST-family IDX files or an \
            image folder with train/ and val/) or --input bundled takes that data's test split. The output is \
            float32 [N, classes], in input order; gated networks run with their hard gates.
            """
    )

    @Argument(help: "The network file (YAML).")
    var file: String

    @OptionGroup var weightsFile: WeightsOption

    @Option(help: ArgumentHelp("A .npy tensor, a PNG/JPEG image or a folder of them, a data directory, or 'bundled'.",
                               valueName: "X.npy|image|dir|bundled"))
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
            try checkWritable(output, flag: "--output")
            let (executor, recorded) = try inferenceExecutor(graph, weights: weightsFile.weights, batch: batch, threads: workers.threads)
            let (images, files) = try inputImages(graph: graph, normalization: recorded)
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
            if let files {
                for (i, f) in files.enumerated() {
                    let row = logits[(i * classes)..<((i + 1) * classes)]
                    let top = row.indices.max { row[$0] < row[$1] }! - i * classes
                    print("\(f): class \(top)")
                }
            }
            print("wrote \(count) x \(classes) logits to \(output)")
        }
    }

    /// With --input an image file or a folder of image files (no train/ inside): those files,
    /// sorted; else nil.
    func imageFiles() throws -> [String]? {
        let lower = input.lowercased()
        if [".png", ".jpg", ".jpeg"].contains(where: { lower.hasSuffix($0) }) {
            guard FileManager.default.fileExists(atPath: input) else { throw DataError("--input \(input): no such file") }
            return [input]
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory), isDirectory.boolValue,
              !ImageFolderReader.recognises(input) else { return nil }
        let entries = try FileManager.default.contentsOfDirectory(atPath: input).sorted()
        let images = entries.filter { name in [".png", ".jpg", ".jpeg"].contains { name.lowercased().hasSuffix($0) } }
        guard !images.isEmpty else { return nil }
        return images.map { (input as NSString).appendingPathComponent($0) }
    }

    /// The images to run, NCHW and normalised: the .npy tensor as it is, image files (also
    /// returned, in row order), or a test split.
    func inputImages(graph: Graph, normalization recorded: Normalization?) throws -> (values: [Float], files: [String]?) {
        let dims = graph.inputShape.dims
        if input.hasSuffix(".npy") {
            let array = try NPY.read(input)
            guard Array(array.shape.suffix(3)) == dims, (3...4).contains(array.shape.count) else {
                throw DataError("\(input): shape [\(array.shape.map(String.init).joined(separator: ", "))], but '\(graph.name)' takes [N, \(dims.map(String.init).joined(separator: ", "))] or one [\(dims.map(String.init).joined(separator: ", "))] image")
            }
            guard array.values.allSatisfy({ $0.isFinite }) else { throw DataError("\(input): contains NaN or infinite values") }
            return (array.values, nil)
        }
        if let files = try imageFiles() {
            guard let recorded else {
                throw DataError("--input \(input): images need the normalisation the weights record (search, train and export --weights record it); these weights have none")
            }
            // the evaluation views as a data set, normalised as every test split is
            let transform = ImageTransform(channels: dims[0], height: dims[1], width: dims[2])
            var bytes: [UInt8] = []
            for f in files { bytes += try transform.evaluationView(ofFile: f) }
            let images = Dataset(name: "images", channels: dims[0], height: dims[1], width: dims[2], classes: graph.classes,
                                 images: bytes, labels: [UInt16](repeating: 0, count: files.count))
            return (try normalised(images, recorded), files)
        }
        var isDirectory: ObjCBool = false
        if input != "bundled", FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw DataError("--input \(input): not a .npy tensor nor a PNG or JPEG image (--input also takes a folder of images, a data directory or 'bundled')")
        }
        let splits = try DatasetLoader.load(directory: input == "bundled" ? nil : input,
                                            images: ImageReading().options(for: graph.inputShape))
        try splits.check(fits: graph)
        return (try normalised(splits.test, recorded ?? Normalization.compute(from: splits.train)), nil)
    }

    /// Every image of `data`, in order, as the network's normalised input (NCHW).
    func normalised(_ data: Dataset, _ normalization: Normalization) throws -> [Float] {
        let source = BatchSource(dataset: data, batchSize: data.count, augmentation: .none, normalization: normalization, seed: 0)
        var images = [Float](repeating: 0, count: data.count * data.sampleBytes)
        var labels = [Int32](repeating: 0, count: data.count)
        _ = try source.fill(order: source.order(epoch: 0, shuffle: false), index: 0, epoch: 0, augment: false, images: &images, labels: &labels)
        return images
    }
}
