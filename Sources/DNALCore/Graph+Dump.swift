/// A stable, line-per-node text form of the IR, used for golden files and `dnalc analyze --ir`.
extension Graph {
    /// One header line, then `name = op attrs <- inputs : shape` per node.
    public func dump() -> String {
        var out = "network \(name) classes=\(classes) output=\(nodes[output].name)\n"
        for n in nodes {
            var line = "\(n.name) = \(n.op.kindName)"
            let attrs = n.op.attributeText
            if !attrs.isEmpty { line += " " + attrs }
            if !n.inputs.isEmpty { line += " <- " + n.inputs.map { nodes[$0].name }.joined(separator: ", ") }
            line += " : \(n.shape)\n"
            out += line
        }
        return out
    }
}

extension Op {
    /// The op's attributes as `key=value` pairs in a fixed order (empty when it has none).
    public var attributeText: String {
        switch self {
        case .input, .gate, .activation, .globalAvgPool, .flatten, .concat, .identity:
            return ""
        case .conv(let c):
            var s = "out=\(c.outChannels) k=\(c.kernel) s=\(c.stride) p=\(c.padding) g=\(c.groups)"
            if c.bias { s += " bias" }
            if !c.prunable { s += " fixed" }
            return s
        case .batchNorm(let b):
            return "eps=\(b.epsilon) momentum=\(b.momentum)"
        case .pool(let p):
            return "k=\(p.kernel) s=\(p.stride) p=\(p.padding)"
        case .linear(let l):
            return "out=\(l.outFeatures)" + (l.bias ? " bias" : "")
        case .dropout(let d):
            return "p=\(d.probability)"
        case .add(let a):
            return "role=\(a.role.rawValue)"
        case .zeroPad(let z):
            return "out=\(z.outChannels) s=\(z.stride) offset=\(z.offset)"
        case .gather(let g):
            return "channels=\(channelList(g.channels))"
        case .scatter(let s):
            return "out=\(s.outChannels) channels=\(channelList(s.channels))"
        }
    }
}
