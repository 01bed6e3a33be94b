import DNALCore

/// A per-channel fact carried through an op that only moves channels: channelwise ops (not batch
/// norm, whose output is not zero where its input is), flatten, concat, zero-pad, gather and
/// scatter. `values(id)` gives the fact for node `id`'s output; channels nothing lands on (a
/// zero-pad's or scatter's padding) get `empty`. The forward analyses (`analyzeChannels`,
/// `liveChannels`) share it, so each op's channel mapping is written once.
/// Precondition: `node.op` is one of those ops.
func movedChannels<V>(_ node: Node, _ graph: Graph, empty: V, values: (Int) -> [V]) -> [V] {
    let x = node.inputs[0]
    let width = node.shape.isFeatureMap ? node.shape.channels : node.shape.elementCount
    switch node.op {
    case .activation, .dropout, .identity, .pool, .globalAvgPool:
        return values(x)
    case .flatten:
        let input = values(x), spatial = graph.nodes[x].shape.spatialCount
        return (0..<width).map { input[$0 / spatial] }
    case .concat:
        return node.inputs.flatMap(values)
    case .zeroPad(let z):
        var out = [V](repeating: empty, count: width)
        for (c, v) in values(x).enumerated() { out[z.offset + c] = v }
        return out
    case .gather(let g):
        let input = values(x)
        return g.channels.map { input[$0] }
    case .scatter(let s):
        var out = [V](repeating: empty, count: width)
        for (k, v) in values(x).enumerated() { out[s.channels[k]] = v }
        return out
    default:
        preconditionFailure("\(node.op.kindName) does more than move channels")
    }
}
