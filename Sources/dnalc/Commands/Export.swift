import ArgumentParser
import DNALCore
import DNALData
import DNALExport
import DNALRuntime
import Foundation

/// `dnalc export FILE --weights W --onnx OUT.onnx` or `dnalc export FILE --pytorch DIR [--weights W]`.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a network as an ONNX model (with its weights) or as PyTorch code (model.py).",
        discussion: """
            --onnx: the inference form dnalc eval runs (opset 13, symbolic batch dimension): batch norms with their \
            running statistics, gates as multiplication by their masks, dropout as identity. Its input 'input' is NCHW \
            float32, normalised as the model's metadata 'dnalc.normalization' records; its output is the logits.

            --pytorch DIR: DIR/model.py, plain PyTorch (it imports only torch): build() returns the network as a \
            torch.nn.Module whose state_dict() has exactly the keys, shapes and layouts of dnalc's weights files. \
            With --weights, the weights are copied to DIR/weights.safetensors (load("weights.safetensors") reads them) \
            and the input normalisation to DIR/normalization.json.
            """
    )

    @Argument(help: "The network file (YAML).")
    var file: String

    @Option(help: ArgumentHelp("The network's weights (safetensors), e.g. a search's final.safetensors or pruned.safetensors; required with --onnx.", valueName: "file"))
    var weights: String?

    @Option(help: ArgumentHelp("The ONNX file to write.", valueName: "out.onnx"))
    var onnx: String?

    @Option(help: ArgumentHelp("The directory to write model.py into (created if missing).", valueName: "dir"))
    var pytorch: String?

    func validate() throws {
        guard (onnx == nil) != (pytorch == nil) else { throw ValidationError("give one of --onnx FILE.onnx or --pytorch DIR") }
        if let onnx {
            guard onnx.hasSuffix(".onnx") else { throw ValidationError("--onnx must name a .onnx file, got '\(onnx)'") }
            guard weights != nil else { throw ValidationError("--onnx needs --weights: an ONNX model carries its weights") }
        }
    }

    func run() throws {
        let graph = try loadNetwork(file)
        try exitingOnUserError {
            if let onnx, let weights {
                let (executor, normalization) = try inferenceExecutor(graph, weights: weights)
                let bytes = ONNXExporter.export(graph, weights: executor.parameters.pytorchValues, source: (weights as NSString).lastPathComponent,
                                                metadata: normalization?.metadata ?? [:])
                try writeAtomically(bytes, to: onnx)
                print("wrote \(onnx) (\(bytes.count) bytes, opset \(ONNXExporter.opset), \(graph.nodes.count - 1) layers)")
            } else if let pytorch {
                try exportPyTorch(graph, to: pytorch)
            }
        }
    }

    /// model.py, and with --weights the weights and normalisation beside it.
    func exportPyTorch(_ graph: Graph, to directory: String) throws {
        var normalization: Normalization?
        if let weights { normalization = try inferenceExecutor(graph, weights: weights).1 }  // checks every name and shape
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw RuntimeError("cannot create '\(directory)': \((error as NSError).localizedDescription)")
        }
        let model = PyTorchModel.generate(graph, source: (file as NSString).lastPathComponent)
        try writeAtomically([UInt8](model.utf8), to: (directory as NSString).appendingPathComponent("model.py"))
        var written = ["model.py"]
        if let weights {
            guard let bytes = FileManager.default.contents(atPath: weights) else { throw RuntimeError("cannot read '\(weights)'") }
            try writeAtomically([UInt8](bytes), to: (directory as NSString).appendingPathComponent("weights.safetensors"))
            written.append("weights.safetensors")
            if let normalization {
                try writeAtomically([UInt8]((normalization.json + "\n").utf8), to: (directory as NSString).appendingPathComponent("normalization.json"))
                written.append("normalization.json")
            }
        }
        print("wrote \(written.joined(separator: ", ")) into \(directory) (\(graph.name), \(graph.nodes.count - 1) layers)")
    }
}
