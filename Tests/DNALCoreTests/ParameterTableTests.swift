import Foundation
import Testing
@testable import DNALCore
import DNALTestSupport

/// The parameter table: which tensors each op owns, their PyTorch shapes, engine layouts and
/// slicing rules; and that no other source file spells a tensor suffix.
@Suite("Parameter table")
struct ParameterTableTests {
    /// conv(bias) -> bn -> gate -> dwconv -> linear(bias) on a 2x2 map.
    func network() throws -> Graph {
        var b = GraphBuilder(input: Shape(channels: 3, height: 2, width: 2))
        let c = try b.add("c", .conv(Conv(outChannels: 4, kernel: 3, padding: 1, bias: true)), inputs: [0])
        let n = try b.add("c.bn", .batchNorm(BatchNorm()), inputs: [c])
        let g = try b.add("c.gate", .gate, inputs: [n])
        let d = try b.add("dw", .conv(Conv(outChannels: 4, kernel: 3, padding: 1, groups: 4)), inputs: [g])
        let f = try b.add("fc", .linear(Linear(outFeatures: 5)), inputs: [d])
        return try b.finish(name: "t", classes: 5, output: f)
    }

    @Test func namesShapesAndGroups() throws {
        let t = ParameterTable(try network())
        #expect(t.specs.map(\.name) == ["c.weight", "c.bias", "c.bn.weight", "c.bn.bias", "c.bn.running_mean", "c.bn.running_var",
                                        "c.gate.alpha", "c.gate.mask", "dw.weight", "fc.weight", "fc.bias"])
        let conv = try #require(t.spec(1, .weight))
        #expect(conv.shape == [4, 3, 3, 3] && conv.storageShape == [3, 3, 3, 4] && conv.group == .conv)
        #expect(t.spec(4, .weight)?.shape == [4, 1, 3, 3])
        let fc = try #require(t.spec(named: "fc.weight"))
        #expect(fc.shape == [5, 16] && fc.storageShape == [16, 5] && fc.group == .linear)
        #expect(t.spec(3, .gateMask)?.isTrainable == false && t.spec(3, .gateAlpha)?.group == .alpha)
        #expect(t.spec(2, .runningVariance)?.isTrainable == false && t.spec(2, .normShift)?.group == .batchNorm2d)
        #expect(t.spec(1, .gateAlpha) == nil && t.specs(of: 5).count == 2)
    }

    @Test func layoutsRoundTrip() throws {
        let t = ParameterTable(try network())
        for spec in t.specs {
            let values = (0..<spec.count).map(Float.init)
            #expect(spec.fromStorage(spec.toStorage(values)) == values, "\(spec.name)")
        }
        // conv [Cout, Cin, K, K] -> [K, K, Cin, Cout]: element (o, i, a, b) lands at ((a*K + b)*Cin + i)*Cout + o
        let conv = t.spec(1, .weight)!
        let storage = conv.toStorage((0..<conv.count).map(Float.init))
        let (o, i, a, b) = (2, 1, 0, 2)
        #expect(storage[((a * 3 + b) * 3 + i) * 4 + o] == Float(((o * 3 + i) * 3 + a) * 3 + b))
        // linear [Out, In] -> [In, Out]
        let fc = t.spec(named: "fc.weight")!
        #expect(fc.toStorage((0..<fc.count).map(Float.init))[7 * 5 + 3] == Float(3 * 16 + 7))
    }

    @Test func slicesFollowTheAxes() throws {
        let t = ParameterTable(try network())
        #expect(t.spec(1, .weight)!.slices(outputs: [0, 3], inputs: [2]) == [[0, 3], [2], [0, 1, 2], [0, 1, 2]])
        #expect(t.spec(4, .weight)!.slices(outputs: [1], inputs: [1]) == [[1], [0], [0, 1, 2], [0, 1, 2]])
        // a kept channel keeps its 2x2 block of a flattened map's features
        #expect(t.spec(named: "fc.weight")!.slices(outputs: [], inputs: [1, 3]) == [[0, 1, 2, 3, 4], [4, 5, 6, 7, 12, 13, 14, 15]])
        #expect(t.spec(named: "fc.bias")!.slices(outputs: [], inputs: [1]) == [[0, 1, 2, 3, 4]])
        let conv = t.spec(1, .weight)!
        #expect(conv.storageSlices(conv.slices(outputs: [0], inputs: [1, 2])) == [[0, 1, 2], [0, 1, 2], [1, 2], [0]])
    }

    @Test func roleSuffixesAndSubLayers() {
        #expect(ParameterRole.allCases.map(\.suffix) == ["weight", "bias", "weight", "bias", "running_mean", "running_var", "alpha", "mask"])
        #expect(SubLayer.gate.name(under: "conv1") == "conv1.gate" && SubLayer.gate.owner(of: "conv1.gate") == "conv1")
        #expect(SubLayer.gate.owner(of: "g1") == "g1" && SubLayer.batchNorm.name(under: "c") == "c.bn")
    }

    /// The table is the only place that spells a tensor suffix: a new `name + ".weight"` elsewhere
    /// would let names drift between the engine, the files and the exporters.
    @Test func noOtherSourceSpellsATensorSuffix() throws {
        let sources = Repository.root.appendingPathComponent("Sources")
        let allowed: Set<String> = ["ParameterRole.swift"]
        let suffixes = ParameterRole.allCases.map(\.suffix)
        let patterns = Set(suffixes).map { "\".\($0)\"" } + ["\".bn\"", "\".gate\"", "\".bn.\""]
        var offenders: [String] = []
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
        for case let url as URL in files where url.pathExtension == "swift" && !allowed.contains(url.lastPathComponent) {
            let text = try String(contentsOf: url, encoding: .utf8)
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where !line.trimmingCharacters(in: .whitespaces).hasPrefix("///") {
                for p in patterns where line.contains(p) { offenders.append("\(url.lastPathComponent):\(n + 1): \(p)") }
            }
        }
        #expect(offenders.isEmpty, "suffixes spelled outside the table: \(offenders)")
    }
}
