import ArgumentParser
import DNALCore
import DNALData
import DNALExport
import DNALRuntime
import Foundation

/// `dnalc export FILE --weights W --onnx OUT.onnx`: the network as a standard ONNX model.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a network with its weights as an ONNX model (opset 13, symbolic batch dimension).",
        discussion: """
            The model is the inference form dnalc eval runs: batch norms with their running statistics, gates as \
            multiplication by their masks, dropout as identity. Its input 'input' is NCHW float32, normalised as \
            the model's metadata 'dnalc.normalization' records (when the weights record it); its output is the logits.
            """
    )

    @Argument(help: "The network file (YAML).")
    var file: String

    @OptionGroup var weightsFile: WeightsOption

    @Option(help: ArgumentHelp("The ONNX file to write.", valueName: "out.onnx"))
    var onnx: String

    func validate() throws {
        guard onnx.hasSuffix(".onnx") else { throw ValidationError("--onnx must name a .onnx file, got '\(onnx)'") }
    }

    func run() throws {
        let graph = try loadNetwork(file)
        try exitingOnUserError {
            let (executor, normalization) = try inferenceExecutor(graph, weights: weightsFile.weights)
            let bytes = ONNXExporter.export(graph, weights: executor.parameters.pytorchValues, source: (weightsFile.weights as NSString).lastPathComponent,
                                            metadata: normalization?.metadata ?? [:])
            try writeAtomically(bytes, to: onnx)
            print("wrote \(onnx) (\(bytes.count) bytes, opset \(ONNXExporter.opset), \(graph.nodes.count - 1) layers)")
        }
    }
}
