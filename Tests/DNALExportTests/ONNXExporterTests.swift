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
        let bytes = ONNXExporter.export(g, weights: e.parameters.pytorchValues, metadata: ["dnalc.normalization": "{}"])
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

    /// A gather is a Gather of its channel list; a scatter pads one zero channel and gathers
    /// every output channel from its source (the input channel scattered there, or that zero).
    @Test func gathersAndScattersBecomeGatherAndPad() throws {
        let g = try NetworkParser.parse(source: Array("""
            network: maps
            input: [3, 4, 4]
            classes: 2
            layers:
              - conv: {name: c, out: 5, bn: true, gate: true, act: relu}
              - gather: {name: g, channels: [0, 2, 4]}
              - scatter: {name: s, out: 6, channels: [1, 2, 5]}
              - gap
              - linear: {name: fc, out: 2}

            """.utf8), file: "maps.yaml")
        let e = try Executor(graph: g, maxBatch: 1, training: false, threads: 1)
        e.parameters.initialize(seed: 1)
        let bytes = ONNXExporter.export(g, weights: e.parameters.pytorchValues)
        let s = strings(in: bytes)
        #expect(s.contains("Gather") && s.contains("Pad") && s.contains("g.index") && s.contains("s.index") && s.contains("s.padded"))
        // the scatter's source list, raw int64s: out channels 0, 3, 4 take the zero channel (index 3)
        let source: [Int] = [3, 0, 1, 3, 3, 2]
        let packed = source.flatMap { v in (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        #expect(bytes.indices.contains { i in i + packed.count <= bytes.count && Array(bytes[i..<(i + packed.count)]) == packed })
    }
}
