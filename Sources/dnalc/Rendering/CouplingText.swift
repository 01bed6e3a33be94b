import DNALCore
import DNALPasses

/// The coupling groups as text: coupled groups in full, plain conv -> next-layer chains one line each.
func couplingText(_ report: CouplingReport, graph: Graph) -> String {
    func name(_ id: Int) -> String { graph.nodes[id].name }
    func span(_ m: CouplingGroup.Member) -> String {
        let channels = graph.nodes[m.node].shape.channels
        if m.channels == [0...(channels - 1)] { return name(m.node) }
        return name(m.node) + "[" + m.channels.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            .joined(separator: ",") + "]"
    }
    let coupled = report.groups.filter(\.isCoupled).count
    var out = "channel-coupling groups: \(report.groups.count) (\(coupled) coupled by residual adds, candidate sums, concats, zero-pads, depthwise convs or channel maps)\n"
    for (i, g) in report.groups.enumerated() {
        let writers = g.members.filter { g.writers.contains($0.node) }.map(span)
        let gates = g.gates.map(name)
        let readers = g.readers.map(name)
        let label = g.ties.map(\.rawValue).joined(separator: "+")
        out += "group \(i + 1): \(g.width) channels, \(label)"
        out += gates.isEmpty ? ", ungated\n" : ", \(gates.count) gate\(gates.count == 1 ? "" : "s")\n"
        out += wrapped("  written by: ", writers.isEmpty ? ["(nothing: constant zeros)"] : writers)
        if !gates.isEmpty { out += wrapped("  gated by:   ", gates) }
        out += wrapped("  read by:    ", readers.isEmpty ? ["(the output)"] : readers)
    }
    return out
}

/// `items` after `label`, comma-separated, wrapped at 100 columns under the first item.
func wrapped(_ label: String, _ items: [String]) -> String {
    let indent = String(repeating: " ", count: label.count)
    var out = "", line = label
    for (i, item) in items.enumerated() {
        let piece = item + (i + 1 < items.count ? "," : "")
        if line.count > label.count && line.count + 1 + piece.count > 100 {
            out += line + "\n"
            line = indent + piece
        } else {
            line += (line.count > label.count ? " " : "") + piece
        }
    }
    return out + line + "\n"
}
