import DNALCore
import DNALRuntime
import DNALSyntax
import DNALTestSupport
import Foundation
import Testing
@testable import DNALExport

/// The exported model's structure. Its numbers are checked against onnxruntime by
/// scripts/check-onnx.py, which .ci/run runs.
@Suite("ONNX exporter")
struct ONNXExporterTests {
    /// Every length-delimited string the model holds (op types, names), found by walking the bytes.
    func strings(in bytes: [UInt8]) -> Set<String> {
        var found = Set<String>()
        var i = 0
        while i < bytes.count {
            guard i + 2 < bytes.count, bytes[i] & 0x07 == 2 else { i += 1; continue }
            let n = Int(bytes[i + 1])
            if n >= 3, n < 0x80, i + 2 + n <= bytes.count, let s = String(bytes: bytes[(i + 2)..<(i + 2 + n)], encoding: .ascii),
               s.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-" }) {
                found.insert(s)
            }
            i += 1
        }
        return found
    }

    @Test(arguments: ["resnet8-mnist", "mobilenet-tiny-mnist", "supernet-tiny-mnist"])
    func everyOpMapsToStandardOperators(name: String) throws {
        let g = try NetworkParser.parse(file: Repository.architecture(name + ".yaml").path)
        let e = try Executor(graph: g, maxBatch: 1, training: false, threads: 1)
        e.parameters.initialize(seed: 1)
        let bytes = ONNXExporter.export(g, parameters: e.parameters, metadata: ["dnalc.normalization": "{}"])
        let s = strings(in: bytes)
        #expect(s.contains("Conv") && s.contains("BatchNormalization") && s.contains("Gemm") && s.contains("input"))
        #expect(s.contains("dnalc.normalization"))
        // each conv's weight is an initializer under its safetensors name
        for node in g.nodes {
            if case .conv = node.op { #expect(s.contains(node.name + ".weight"), "\(node.name)") }
            if node.op == .gate { #expect(s.contains(node.name + ".mask")) }
        }
        switch name {
        case "resnet8-mnist": #expect(s.contains("Pad") && s.contains("Slice") && s.contains("Add"))
        case "mobilenet-tiny-mnist": #expect(s.contains("Clip"))
        default: #expect(s.contains("Add") || s.contains("Sum"))
        }
        // the weights themselves are in the file: at least 4 bytes per parameter
        let floats = e.parameters.entries.reduce(0) { $0 + $1.count }
        #expect(bytes.count > 4 * floats)
    }
}
