import DNALCore
import DNALPasses

/// The per-layer cost table (plain columns or markdown), with a header naming the convention.
func costTable(_ report: CostReport, graph: Graph, markdown: Bool, all: Bool) -> String {
    let unit = report.convention.unit
    let header = ["name", "op", "channels", "output", "params", unit, "% \(unit)"]
    let right: Set<Int> = [4, 5, 6]
    var rows: [[String]] = []
    var hidden = 0
    for layer in all ? report.layers.map({ [$0] }) : foldedLines(report.layers) {
        let head = layer[0], last = layer[layer.count - 1]
        let flops = layer.reduce(0) { $0 + $1.flops }, params = layer.reduce(0) { $0 + $1.params }
        if !all && flops == 0 && params == 0 && head.input == last.output {
            hidden += 1
            continue
        }
        let inChannels = head.input.map { String($0.channels) } ?? "-"
        let output = last.output.isFeatureMap ? "\(last.output.height)x\(last.output.width)" : "-"
        let share = report.totalFLOPs > 0 ? fixed(100 * Double(flops) / Double(report.totalFLOPs), 2) : "0.00"
        rows.append([head.name, layer.map(\.op).joined(separator: "+"), "\(inChannels)->\(last.output.channels)", output,
                     grouped(params), grouped(flops), share])
    }
    let total = ["total", "", "", "", grouped(report.totalParams), grouped(report.totalFLOPs), "100.00"]
    let totalHuman = ["", "", "", "", "(\(human(report.totalParams)))", "(\(human(report.totalFLOPs)))", ""]
    var out = "network \(report.network): input \(graph.inputShape), \(graph.classes) classes, "
    out += "\(report.gateLayers) gate layers (\(grouped(report.gateChannels)) gates)\n"
    out += "convention \(report.convention.summary)\n\n"
    if markdown {
        out += markdownTable(header, rows + [total.map { $0 == "total" ? "**total**" : $0 }], rightAligned: right)
        out += "\nTotal: \(human(report.totalFLOPs)) \(unit), \(human(report.totalParams)) params.\n"
    } else {
        out += columns([header] + rows + [total, totalHuman], rightAligned: right)
    }
    if hidden > 0 { out += "(\(hidden) layers that cost nothing and keep their shape are not listed; --all lists every node)\n" }
    return out
}

/// Totals of two networks under one convention, with the paper tables' reduction ratios.
struct Comparison {
    var base: CostReport
    var other: CostReport
    /// With `--masks`: the same masks under the reference's own counter (`computeReferenceCost`).
    var reference: CostReport? = nil

    /// base / other: how many times smaller the other network is.
    var flopsRatio: Double { ratios(of: other).flops }
    var paramsRatio: Double { ratios(of: other).params }

    /// How many times smaller than `base` the network `r` counts is.
    func ratios(of r: CostReport) -> (flops: Double, params: Double) {
        (Double(base.totalFLOPs) / Double(max(r.totalFLOPs, 1)), Double(base.totalParams) / Double(max(r.totalParams, 1)))
    }
}

/// `313.47M` for the base, `161.97M (1.94x)` for the other, plus the percentage removed.
func comparisonTable(_ c: Comparison, markdown: Bool) -> String {
    func reduction(_ base: Int, _ other: Int) -> String {
        base > 0 ? fixed(100 * (1 - Double(other) / Double(base)), 1) + "%" : "-"
    }
    func row(_ r: CostReport, name: String) -> [String] {
        let ratios = c.ratios(of: r)
        return [name, "\(human(r.totalFLOPs)) (\(fixed(ratios.flops, 2))x)", "\(human(r.totalParams)) (\(fixed(ratios.params, 2))x)",
                reduction(c.base.totalFLOPs, r.totalFLOPs), reduction(c.base.totalParams, r.totalParams)]
    }
    let unit = c.base.convention.unit
    let header = ["network", unit, "params", "\(unit) removed", "params removed"]
    var rows = [[c.base.network, human(c.base.totalFLOPs), human(c.base.totalParams), "", ""], row(c.other, name: c.other.network)]
    if let reference = c.reference { rows.append(row(reference, name: "  by the reference counter")) }
    var out = "comparison (\(c.base.convention.rawValue) convention)\n"
    out += markdown ? markdownTable(header, rows, rightAligned: [1, 2, 3, 4]) : columns([header] + rows, rightAligned: [1, 2, 3, 4])
    if let reference = c.reference {
        out += reference.totalFLOPs == c.other.totalFLOPs && reference.totalParams == c.other.totalParams
            ? "(the reference counter gives the same figure: no gate closes entirely)\n"
            : "(the first masked row is what the compact network costs; the reference counter, docs/dnal-method.md, "
              + "also counts the convs in front of a gate that closes entirely, which nothing reads)\n"
    }
    return out
}

/// Groups each conv or linear line's `.bn`, `.gate` and `.act` nodes with it, as the DSL wrote them.
func foldedLines(_ layers: [LayerCost]) -> [[LayerCost]] {
    var out: [[LayerCost]] = []
    for layer in layers {
        if var line = out.last, let owner = line.first, owner.op.hasSuffix("conv") || owner.op == "linear",
           ["bn", "gate", "act"].contains(where: { layer.name == owner.name + "." + $0 }) {
            line.append(layer)
            out[out.count - 1] = line
        } else {
            out.append([layer])
        }
    }
    return out
}
