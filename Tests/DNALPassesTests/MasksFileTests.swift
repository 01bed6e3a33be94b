import DNALCore
import Testing
@testable import DNALPasses

@Suite("Masks files")
struct MasksFileTests {
    func json(_ gates: String, network: String = "vgg6-mnist") -> [UInt8] {
        Array(#"{"network": "\#(network)", "gates": {\#(gates)}}"#.utf8)
    }

    func allGates(except skip: String = "", _ override: [String: String] = [:]) -> String {
        let widths = ["conv1.gate": 16, "conv2.gate": 16, "conv3.gate": 32, "conv4.gate": 32, "conv5.gate": 64, "conv6.gate": 64]
        return widths.keys.sorted().filter { $0 != skip }.map { name in
            "\"\(name)\": " + (override[name] ?? "[" + (0..<widths[name]!).map(String.init).joined(separator: ", ") + "]")
        }.joined(separator: ", ")
    }

    @Test func readsAndRoundTrips() throws {
        let g = try architecture("vgg6-mnist")
        let masks = try MasksFile.decode(json(allGates(["conv3.gate": "[4, 0, 31]"])), file: "m.json", for: g)
        #expect(masks.keep[g.node(named: "conv3.gate")!.id]!.indices.filter { masks.keep[g.node(named: "conv3.gate")!.id]![$0] } == [0, 4, 31])
        let again = try MasksFile.decode(Array(MasksFile.encode(masks, for: g).utf8), file: "m.json", for: g)
        #expect(again == masks)
    }

    @Test("bad masks are refused with the reason", arguments: [
        ("not json", "m.json: a masks file is a JSON object with 'network' and 'gates'"),
        ("WRONG_NETWORK", "m.json: these masks are for 'resnet8-mnist', not 'vgg6-mnist'"),
        ("UNKNOWN_GATE", "m.json: 'conv1.gat' is not a gate of 'vgg6-mnist'; did you mean 'conv1.gate'?"),
        ("MISSING_GATE", "m.json: no mask for gate 'conv4.gate' (5 of 6 gates given)"),
        ("OUT_OF_RANGE", "m.json: the mask of 'conv1.gate' keeps channel 16, but the gate has channels 0 to 15"),
        ("TWICE", "m.json: the mask of 'conv2.gate' lists channel 3 twice"),
        ("NOT_INTEGERS", "m.json: the mask of 'conv2.gate' must be a list of kept channel indices"),
        ("BOOLEAN", "m.json: true and false are not channel indices"),
        ("DUPLICATE_GATE", "m.json: key 'conv2.gate' is given twice"),
        ("DUPLICATE_TOP", "m.json: key 'network' is given twice"),
        ("ALL_CLOSED", "m.json: the masks cut every path from the input to the output: gate 'conv3.gate' closes all 32 of its channels"),
    ])
    func refusals(kind: String, message: String) throws {
        let g = try architecture("vgg6-mnist")
        let bytes: [UInt8]
        switch kind {
        case "WRONG_NETWORK": bytes = json(allGates(), network: "resnet8-mnist")
        case "UNKNOWN_GATE": bytes = json(allGates() + #", "conv1.gat": [0]"#)
        case "MISSING_GATE": bytes = json(allGates(except: "conv4.gate"))
        case "OUT_OF_RANGE": bytes = json(allGates(["conv1.gate": "[0, 16]"]))
        case "TWICE": bytes = json(allGates(["conv2.gate": "[3, 3]"]))
        case "NOT_INTEGERS": bytes = json(allGates(["conv2.gate": "[1.5]"]))
        case "ALL_CLOSED": bytes = json(allGates(["conv3.gate": "[]"]))
        case "BOOLEAN": bytes = json(allGates(["conv2.gate": "[0, true]"]))
        case "DUPLICATE_GATE": bytes = json(allGates() + #", "conv2.gate": [0]"#)
        case "DUPLICATE_TOP": bytes = Array(#"{"network": "vgg6-mnist", "network": "vgg6-mnist", "gates": {\#(allGates())}}"#.utf8)
        default: bytes = Array(kind.utf8)
        }
        #expect(throws: GraphError(message)) { try MasksFile.decode(bytes, file: "m.json", for: g) }
    }

    @Test func closingAResidualBranchOrACandidateOpIsAllowed() throws {
        let r = try architecture("resnet8-mnist")
        var masks = GateMasks.allOpen(r)
        masks.keep[r.node(named: "stage2.0.conv1.gate")!.id] = Array(repeating: false, count: 32)
        try checkMasksKeepNetworkConnected(r, gates: masks)
        let s = try architecture("supernet-tiny-mnist")
        var sm = GateMasks.allOpen(s)
        for op in ["k3t2", "k3t4", "k5t2"] { sm.keep[s.node(named: "cell1.\(op).dw.gate")!.id] = Array(repeating: false, count: op.hasSuffix("2") ? 32 : 64) }
        try checkMasksKeepNetworkConnected(s, gates: sm)
        sm.keep[s.node(named: "cell1.k5t4.point.gate")!.id] = Array(repeating: false, count: 24)
        #expect(throws: GraphError.self) { try checkMasksKeepNetworkConnected(s, gates: sm) }
    }
}
