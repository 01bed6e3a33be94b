import DNALCore
import DNALPasses
import Foundation

/// `analyze --format json`: `{"network", "convention", "input", "classes", "total": {"flops", "params"},
/// "gates": {"layers", "channels"}, "layers": [{"name", "op", "input", "output", "flops", "params"}],
/// "groups"?, "comparison"?, "reference"?}`, keys sorted for stable output. With `--masks`, `total` is
/// what the compact network costs and `reference` what the reference's counter gives the same masks.
func jsonReport(_ report: CostReport, graph: Graph, coupling: CouplingReport?, comparison: Comparison?) -> String {
    struct Total: Encodable { var flops: Int; var params: Int }
    struct Gates: Encodable { var layers: Int; var channels: Int }
    struct Layer: Encodable { var name: String; var op: String; var input: [Int]?; var output: [Int]; var flops: Int; var params: Int }
    struct Member: Encodable { var node: String; var channels: [[Int]] }
    struct Group: Encodable { var width: Int; var ties: [String]; var members: [Member]; var gates: [String]; var writers: [String]; var readers: [String] }
    struct Compared: Encodable { var network: String; var total: Total; var flops_ratio: Double; var params_ratio: Double }
    struct Report: Encodable {
        var network: String; var convention: String; var input: [Int]; var classes: Int
        var total: Total; var gates: Gates; var layers: [Layer]; var groups: [Group]?; var comparison: Compared?
        var reference: Total?
    }
    let name = { (id: Int) in graph.nodes[id].name }
    let groups = coupling?.groups.map { g in
        Group(width: g.width, ties: g.ties.map(\.rawValue),
              members: g.members.map { Member(node: name($0.node), channels: $0.channels.map { [$0.lowerBound, $0.upperBound] }) },
              gates: g.gates.map(name), writers: g.writers.map(name), readers: g.readers.map(name))
    }
    let compared = comparison.map {
        Compared(network: $0.other.network, total: Total(flops: $0.other.totalFLOPs, params: $0.other.totalParams),
                 flops_ratio: ($0.flopsRatio * 1e4).rounded() / 1e4, params_ratio: ($0.paramsRatio * 1e4).rounded() / 1e4)
    }
    let r = Report(network: report.network, convention: report.convention.rawValue, input: graph.inputShape.dims,
                   classes: graph.classes, total: Total(flops: report.totalFLOPs, params: report.totalParams),
                   gates: Gates(layers: report.gateLayers, channels: report.gateChannels),
                   layers: report.layers.map { Layer(name: $0.name, op: $0.op, input: $0.input?.dims, output: $0.output.dims,
                                                     flops: $0.flops, params: $0.params) },
                   groups: groups, comparison: compared,
                   reference: comparison?.reference.map { Total(flops: $0.totalFLOPs, params: $0.totalParams) })
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return (try? encoder.encode(r)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
}

/// `analyze --format csv`: one row per node, then a `total` row.
func csvReport(_ report: CostReport) -> String {
    func shape(_ s: Shape?) -> String { s.map { $0.dims.map(String.init).joined(separator: "x") } ?? "" }
    var out = "name,op,input,output,flops,params\n"
    for l in report.layers { out += "\(l.name),\(l.op),\(shape(l.input)),\(shape(l.output)),\(l.flops),\(l.params)\n" }
    out += "total,,,,\(report.totalFLOPs),\(report.totalParams)\n"
    return out
}
