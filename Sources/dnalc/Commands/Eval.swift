import ArgumentParser
import DNALCore
import DNALData
import DNALRuntime
import DNALSearch
import Foundation

/// `dnalc eval FILE --weights W`: top-1, top-5, loss and image count on the test split.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Top-1, top-5 and mean cross-entropy of a network with its weights on the test split.",
        discussion: """
            Gated networks run with their hard gates (the weights' .mask buffers), so a search's final.safetensors \
            is evaluated as the hard-gated network and its pruned.yaml/pruned.safetensors give the same figures. \
            Inputs are normalised with the mean and std recorded in the weights; weights without that record \
            (written by other tools) get the training split's, as dnalc search computes them.
            """
    )

    enum Format: String, ExpressibleByArgument { case table, json }

    @Argument(help: "The network file (YAML).")
    var file: String

    @OptionGroup var weightsFile: WeightsOption

    @OptionGroup var dataSet: DataOption

    @Option(help: "Evaluate only the first N test images.")
    var limit: Int?

    @Option(help: "Images per forward pass.")
    var batch = 256

    @OptionGroup var workers: ThreadsOption

    @Option(help: "Output format: table or json.")
    var format: Format = .table

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
    }

    func run() throws {
        let graph = try loadNetwork(file)
        try exitingOnUserError {
            let (executor, recorded) = try inferenceExecutor(graph, weights: weightsFile.weights, batch: batch, threads: workers.threads)
            var splits = try DatasetLoader.load(directory: dataSet.data, images: ImageReading().options(for: graph.inputShape))
            try splits.check(fits: graph)
            let normalization = recorded ?? Normalization.compute(from: splits.train)
            if let limit { splits.test = splits.test.prefix(limit) }
            let source = BatchSource(dataset: splits.test, batchSize: batch, augmentation: .none, normalization: normalization, seed: 0)
            let result = try Evaluation.run(executor, source: source)
            switch format {
            case .json:
                let object: [String: Any] = [
                    "network": graph.name, "data": splits.source, "images": result.images,
                    "top1": result.top1, "top5": result.top5, "loss": result.loss,
                    "normalization": recorded == nil ? "computed from the training split" : "recorded in the weights",
                ]
                let json = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
                print(String(decoding: json, as: UTF8.self))
            case .table:
                print("\(graph.name) on \(splits.source), \(result.images) test images")
                print("top1  \(String(format: "%.2f", result.top1))%")
                print("top5  \(String(format: "%.2f", result.top5))%")
                print("loss  \(String(format: "%.4f", result.loss))")
                if recorded == nil { print("(inputs normalised with the training split's mean and std: the weights record none)") }
            }
        }
    }
}
