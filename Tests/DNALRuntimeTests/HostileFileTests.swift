import DNALCore
import DNALRuntime
import Foundation
import Testing

/// Weights files crafted to overflow the reader's arithmetic: an error, never a trap.
@Suite("Hostile weights files")
struct HostileFileTests {
    @Test func hugeShapesAreRefused() throws {
        for shape in ["[4611686018427387904]", "[4294967296, 4294967296]", "[9223372036854775807, 2]"] {
            let header = Array("{\"w\": {\"dtype\": \"F32\", \"shape\": \(shape), \"data_offsets\": [0, 4]}}".utf8)
            var bytes = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header
            bytes += [0, 0, 0, 0]
            #expect(throws: RuntimeError.self) { try SafeTensors.decode(bytes, file: "h.safetensors") }
        }
    }

    @Test func aDirectoryIsNotAWeightsFile() {
        let dir = FileManager.default.temporaryDirectory.path
        #expect(throws: RuntimeError("cannot read '\(dir)': it is a directory, not a safetensors file")) { try SafeTensors.read(dir) }
    }
}

@Suite("Weights that do not fit their role")
struct MaskValueTests {
    @Test func gateMasksAreZeroOrOne() throws {
        var b = GraphBuilder(input: Shape(channels: 1, height: 4, width: 4))
        let c = try b.add("c", .conv(Conv(outChannels: 3, kernel: 3, padding: 1)), inputs: [0])
        let g = try b.add("c.gate", .gate, inputs: [c])
        let p = try b.add("p", .globalAvgPool, inputs: [g])
        let f = try b.add("fc", .linear(Linear(outFeatures: 2)), inputs: [p])
        let store = ParameterStore(graph: try b.finish(name: "t", classes: 2, output: f))
        var tensors = store.exportTensors()
        tensors["c.gate.mask"]!.values[1] = 0.5
        #expect(throws: RuntimeError("w: gate mask 'c.gate.mask' holds 0.5; a mask is 0 (closed) or 1 (open) per channel")) {
            try store.importTensors(tensors, source: "w")
        }
        tensors["c.gate.mask"]!.values[1] = 0
        try store.importTensors(tensors, source: "w")
        #expect(store.values(of: "c.gate.mask") == [0, 0, 0])  // a fresh store's masks are 0 until initialised
    }
}
