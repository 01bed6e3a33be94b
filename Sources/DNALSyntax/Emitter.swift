import DNALCore

/// Writes a graph back as a network file in the DSL: canonical and byte-stable, so that
/// `parse(emit(g)) == g` for every graph the parser can build.
///
/// Canonical form: the header, the `search:` section if any, then a flat `layers:` list, one item
/// per conv or linear line (its `NAME.bn`, `NAME.gate`, `NAME.act` nodes folded into the line)
/// and one per other node, every item named in full, with `from:` only where an item does not
/// read the item before it. Every attribute that shapes the graph is written explicitly.
public enum Emitter {
    /// The file text; `comments` become `# ` lines at the top.
    public static func emit(_ graph: Graph, comments: [String] = []) -> String {
        var out = comments.map { "# " + $0 + "\n" }.joined()
        out += "network: \(scalar(graph.name))\n"
        out += "input: [\(graph.inputShape.dims.map(String.init).joined(separator: ", "))]\n"
        out += "classes: \(graph.classes)\n"
        if !graph.search.isEmpty { out += search(graph.search) }
        out += "layers:\n"
        let consumers = graph.consumers()
        var previous = 0
        var id = 1
        while id < graph.nodes.count {
            let node = graph.nodes[id]
            let line = foldedLine(node, graph: graph, consumers: consumers)
            var attributes = line.attributes
            attributes.insert(("name", scalar(node.name)), at: 0)
            if !Schema.multiInputOps.contains(line.op), node.inputs != [previous] {
                attributes.append(("from", scalar(graph.nodes[node.inputs[0]].name)))
            }
            out += "  - \(line.op): {" + attributes.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + "}\n"
            previous = line.last
            id = line.last + 1
        }
        return out
    }

    /// One item: its op, attributes (without name and from) and the last node it covers.
    private static func foldedLine(_ node: Node, graph: Graph,
                                   consumers: [[Int]]) -> (op: String, attributes: [(String, String)], last: Int) {
        var a: [(String, String)] = []
        switch node.op {
        case .input:
            preconditionFailure("the input is written in the header")
        case .conv(let c):
            a.append(("out", "\(c.outChannels)"))
            a.append(("kernel", "\(c.kernel)"))
            a.append(("stride", "\(c.stride)"))
            a.append(("padding", "\(c.padding)"))
            if c.groups != 1 { a.append(("groups", "\(c.groups)")) }
            if c.bias { a.append(("bias", "true")) }
            if !c.prunable { a.append(("prunable", "false")) }
            let (suffix, last) = fold(node, graph: graph, consumers: consumers, gate: true)
            return ("conv", a + suffix, last)
        case .linear(let l):
            a.append(("out", "\(l.outFeatures)"))
            if !l.bias { a.append(("bias", "false")) }
            let (suffix, last) = fold(node, graph: graph, consumers: consumers, gate: false)
            return ("linear", a + suffix, last)
        case .batchNorm(let b):
            return ("bn", batchNormAttributes(b), node.id)
        case .gate:
            return ("gate", [], node.id)
        case .activation(let act):
            return (act.rawValue, [], node.id)
        case .pool(let p):
            return (p.kind == .max ? "maxpool" : "avgpool", [("kernel", "\(p.kernel)"), ("stride", "\(p.stride)"), ("padding", "\(p.padding)")], node.id)
        case .globalAvgPool:
            return ("gap", [], node.id)
        case .flatten:
            return ("flatten", [], node.id)
        case .dropout(let d):
            return ("dropout", [("p", number(d.probability))], node.id)
        case .identity:
            return ("identity", [], node.id)
        case .zeroPad(let z):
            return ("zeropad", [("out", "\(z.outChannels)"), ("stride", "\(z.stride)"), ("offset", "\(z.offset)")], node.id)
        case .gather(let g):
            return ("gather", [("channels", indexList(g.channels))], node.id)
        case .scatter(let s):
            return ("scatter", [("out", "\(s.outChannels)"), ("channels", indexList(s.channels))], node.id)
        case .add(let add):
            return ("add", [("role", add.role.rawValue), ("from", references(node, graph))], node.id)
        case .concat:
            return ("concat", [("from", references(node, graph))], node.id)
        }
    }

    /// The `.bn`, `.gate` (convs only) and `.act` nodes that follow `node` as its own line wrote
    /// them: named after it, each the only reader of the one before.
    private static func fold(_ node: Node, graph: Graph, consumers: [[Int]],
                             gate allowGate: Bool) -> ([(String, String)], Int) {
        var attributes: [(String, String)] = []
        var last = node.id
        func next(_ suffix: String) -> Node? {
            guard last + 1 < graph.nodes.count, last != graph.output, consumers[last] == [last + 1] else { return nil }
            let candidate = graph.nodes[last + 1]
            return candidate.name == node.name + "." + suffix && candidate.inputs == [last] ? candidate : nil
        }
        if let bn = next("bn"), case .batchNorm(let b) = bn.op {
            let settings = batchNormAttributes(b)
            attributes.append(("bn", settings.isEmpty ? "true" : "{" + settings.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + "}"))
            last = bn.id
        }
        if allowGate, let g = next("gate"), case .gate = g.op {
            attributes.append(("gate", "true"))
            last = g.id
        }
        if let act = next("act"), case .activation(let kind) = act.op {
            attributes.append(("act", kind.rawValue))
            last = act.id
        }
        return (attributes, last)
    }

    private static func batchNormAttributes(_ b: BatchNorm) -> [(String, String)] {
        var a: [(String, String)] = []
        if b.epsilon != BatchNorm().epsilon { a.append(("eps", number(b.epsilon))) }
        if b.momentum != BatchNorm().momentum { a.append(("momentum", number(b.momentum))) }
        return a
    }

    private static func indexList(_ channels: [Int]) -> String {
        "[" + channels.map(String.init).joined(separator: ", ") + "]"
    }

    private static func references(_ node: Node, _ graph: Graph) -> String {
        "[" + node.inputs.map { scalar(graph.nodes[$0].name) }.joined(separator: ", ") + "]"
    }

    private static func search(_ s: SearchConfig) -> String {
        func list<T>(_ values: [T], _ f: (T) -> String) -> String { "[" + values.map(f).joined(separator: ", ") + "]" }
        var lines: [String] = []
        if let v = s.lambda { lines.append("lambda: \(number(v))") }
        if let v = s.epochs { lines.append("epochs: \(list(v) { String($0) })") }
        if let v = s.batch { lines.append("batch: \(v)") }
        if let v = s.learningRates { lines.append("lr: \(list(v, number))") }
        if let v = s.momentum { lines.append("momentum: \(number(v))") }
        if let v = s.weightDecay { lines.append("weight_decay: \(list(v, number))") }
        if let v = s.threshold { lines.append("threshold: \(number(v))") }
        if let v = s.betaFinal { lines.append("beta_final: \(number(v))") }
        if let v = s.seed { lines.append("seed: \(v)") }
        if let t = s.target { lines.append("target_\(t.metric.rawValue): \(scalar(t.text))") }
        if let v = s.targetTolerance { lines.append("target_tolerance: \(number(v))") }
        if let v = s.targetGain { lines.append("target_gain: \(number(v))") }
        if let v = s.targetRate { lines.append("target_rate: \(number(v))") }
        if let v = s.learningRateSchedules { lines.append("lr_schedule: \(list(v) { scalar($0.description) })") }
        if let v = s.betaSchedule { lines.append("beta_schedule: \(v.rawValue)") }
        if let v = s.augment { lines.append("augment: \(scalar(v.rawValue))") }
        if let v = s.initialization { lines.append("init: \(v.rawValue)") }
        return "search:\n" + lines.map { "  " + $0 + "\n" }.joined()
    }

    /// A number in the shortest form that reads back as the same Double (`0.1`, `1e-05`, `10000.0`).
    static func number(_ v: Double) -> String { "\(v)" }

    /// Text as a plain scalar when YAML would read it back unchanged as text, else single-quoted.
    static func scalar(_ text: String) -> String {
        let plainSafe = !text.isEmpty && text.unicodeScalars.allSatisfy { s in
            (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || s == "_" || s == "-" || s == "."
        } && !["true", "false", "null", "~", "yes", "no", "on", "off"].contains(text.lowercased())
            && Double(text) == nil && Int(text) == nil && text.first != "-"
        return plainSafe ? text : "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
