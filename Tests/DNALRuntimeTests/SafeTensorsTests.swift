import DNALCore
import DNALRuntime
import DNALTestSupport
import Foundation
import Testing

@Suite("safetensors")
struct SafeTensorsTests {
    func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dnalc-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func roundTripAndMetadata() throws {
        let tensors = ["b": SafeTensors.Tensor(shape: [2, 3], values: [1, -2, 3.5, .leastNonzeroMagnitude, 0, 7]),
                       "a": SafeTensors.Tensor(shape: [0], values: [])]
        let bytes = SafeTensors.encode(tensors, metadata: ["network": "x"])
        #expect((bytes.count - 8 - 24) % 8 == 0)
        let back = try SafeTensors.decode(bytes, file: "f")
        #expect(back.tensors == tensors)
        #expect(back.metadata == ["network": "x"])
    }

    @Test func readsAFileWrittenByHand() throws {
        let header = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"format":"pt"}}"#
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes += Array(header.utf8) + [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]  // 1.0, -2.0 little-endian
        let t = try SafeTensors.decode(bytes, file: "hand")
        #expect(t.tensors["w"] == SafeTensors.Tensor(shape: [2], values: [1, -2]))
    }

    @Test("corrupt files give precise errors", arguments: [
        ([UInt8](repeating: 0, count: 5), "f: not a safetensors file (5 bytes, shorter than its 8-byte header length)"),
        ([255, 0, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 32, count: 10), "f: not a safetensors file (header length 255 does not fit in 18 bytes)"),
        ([2, 0, 0, 0, 0, 0, 0, 0, 0x5b, 0x5d], "f: not a safetensors file (its header is not a JSON object)"),
    ])
    func corrupt(bytes: [UInt8], message: String) {
        #expect(throws: RuntimeError(message)) { try SafeTensors.decode(bytes, file: "f") }
    }

    @Test func truncatedWrongTypeAndWrongSize() throws {
        func file(_ header: String, data: Int) -> [UInt8] {
            var b: [UInt8] = []
            withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { b.append(contentsOf: $0) }
            return b + Array(header.utf8) + [UInt8](repeating: 0, count: data)
        }
        #expect(throws: RuntimeError("f: tensor 'w' lies outside the file (bytes 0..<16 of 8); is it truncated?")) {
            try SafeTensors.decode(file(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: 8), file: "f")
        }
        // PyTorch's batch-norm step counter (I64) is read past: weights trained in PyTorch load
        let fromTorch = try SafeTensors.decode(file(#"{"bn.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[0,8]}}"#, data: 8), file: "f")
        #expect(fromTorch.tensors.isEmpty)
        #expect(throws: RuntimeError("f: tensor 'bn.running_count' is I64; dnalc reads F32 tensors")) {
            try SafeTensors.decode(file(#"{"bn.running_count":{"dtype":"I64","shape":[],"data_offsets":[0,8]}}"#, data: 8), file: "f")
        }
        #expect(throws: RuntimeError("f: tensor 'w' is F16; dnalc reads F32 tensors")) {
            try SafeTensors.decode(file(#"{"w":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}"#, data: 8), file: "f")
        }
        #expect(throws: RuntimeError("f: tensor 'w' of shape [3] needs 12 bytes but has 8")) {
            try SafeTensors.decode(file(#"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: 8), file: "f")
        }
        #expect(throws: RuntimeError("f: tensor 'w' has a malformed header entry")) {
            try SafeTensors.decode(file(#"{"w":{"dtype":"F32"}}"#, data: 0), file: "f")
        }
    }

    @Test func pyTorchLayouts() throws {
        let graph = try NetworkParserShim.parse(Repository.architecture("vgg6-mnist.yaml").path)
        let e = try Executor(graph: graph, maxBatch: 1, training: false, threads: 1)
        // conv1.weight is [3, 3, 1, 16] here; element (a, b, i, o) holds a*1000 + b*100 + i*10 + o
        let conv = e.parameters.entry("conv1.weight")!
        var v = [Float](repeating: 0, count: conv.count)
        for a in 0..<3 { for b in 0..<3 { for o in 0..<16 { v[((a * 3 + b) * 1 + 0) * 16 + o] = Float(a * 1000 + b * 100 + o) } } }
        e.parameters.set("conv1.weight", v)
        let fc = e.parameters.entry("fc.weight")!  // [64, 10] here
        e.parameters.set("fc.weight", (0..<fc.count).map { Float($0) })
        let exported = e.parameters.exportTensors()
        let w = exported["conv1.weight"]!
        #expect(w.shape == [16, 1, 3, 3])
        #expect(w.values[((5 * 1 + 0) * 3 + 2) * 3 + 1] == 2105)  // PyTorch [o=5][i=0][a=2][b=1]
        let f = exported["fc.weight"]!
        #expect(f.shape == [10, 64])
        #expect(f.values[3 * 64 + 7] == Float(7 * 10 + 3))  // PyTorch [out=3][in=7] is dnalc [in=7][out=3]
    }

    @Test func saveLoadReproducesTheNetwork() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let graph = try NetworkParserShim.parse(Repository.architecture("resnet8-mnist.yaml").path)
        let a = try Executor(graph: graph, maxBatch: 2, training: false, threads: 1)
        a.parameters.initialize(seed: 3)
        for entry in a.parameters.entries where entry.name.hasSuffix("running_var") {
            a.parameters.set(entry.name, Numerics.random(entry.count, seed: 4).map { Float(1 + abs($0)) })
        }
        let path = dir.appendingPathComponent("w.safetensors").path
        try a.parameters.save(to: path, metadata: ["network": graph.name])
        let b = try Executor(graph: graph, maxBatch: 2, training: false, threads: 1)
        try b.parameters.load(from: path)
        let input = Numerics.random(2 * graph.inputShape.elementCount, seed: 5).map(Float.init)
        for e in [a, b] {
            e.input.update(from: input, count: input.count)
            try e.forward(batch: 2)
        }
        #expect(Array(UnsafeBufferPointer(start: a.logits, count: 20)) == Array(UnsafeBufferPointer(start: b.logits, count: 20)))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["w.safetensors"])  // no temporary left
        // saving again replaces the file in place
        a.parameters.set("fc.bias", [Float](repeating: 0.25, count: 10))
        try a.parameters.save(to: path)
        try b.parameters.load(from: path)
        #expect(b.parameters.values(of: "fc.bias") == [Float](repeating: 0.25, count: 10))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["w.safetensors"])
    }

    @Test func weightsForAnotherNetworkAreRefused() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let vgg = try Executor(graph: try NetworkParserShim.parse(Repository.architecture("vgg6-mnist.yaml").path), maxBatch: 1, training: false)
        let path = dir.appendingPathComponent("vgg.safetensors").path
        try vgg.parameters.save(to: path)
        let resnet = try Executor(graph: try NetworkParserShim.parse(Repository.architecture("resnet8-mnist.yaml").path), maxBatch: 1, training: false)
        #expect(throws: RuntimeError("\(path) has no tensor 'stem.weight'; are these weights for another network?")) {
            try resnet.parameters.load(from: path)
        }
        var tensors = vgg.parameters.exportTensors()
        tensors["conv2.weight"] = SafeTensors.Tensor(shape: [16, 16, 1, 1], values: [Float](repeating: 0, count: 256))
        #expect(throws: RuntimeError("x: tensor 'conv2.weight' has shape [16, 16, 1, 1], this network needs [16, 16, 3, 3]")) {
            try vgg.parameters.importTensors(tensors, source: "x")
        }
        tensors = vgg.parameters.exportTensors()
        tensors["extra"] = SafeTensors.Tensor(shape: [1], values: [0])
        #expect(throws: RuntimeError("x has a tensor 'extra' that this network does not have; are these weights for another network?")) {
            try vgg.parameters.importTensors(tensors, source: "x")
        }
        tensors = vgg.parameters.exportTensors()
        tensors["fc.bias"]!.values[0] = .nan
        #expect(throws: RuntimeError("x: tensor 'fc.bias' contains NaN or infinite values")) {
            try vgg.parameters.importTensors(tensors, source: "x")
        }
        #expect(throws: RuntimeError("cannot read '/nonexistent/w.safetensors': no such file")) {
            try vgg.parameters.load(from: "/nonexistent/w.safetensors")
        }
        #expect(throws: RuntimeError.self) { try vgg.parameters.save(to: "/nonexistent/dir/w.safetensors") }
    }
}
