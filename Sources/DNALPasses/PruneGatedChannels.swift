import DNALCore

/// Throws unless `pruneGatedChannels` can prune `graph` whatever its masks: a plain chain, with
/// no residual add, candidate sum, concatenation, zero-pad or grouped (not depthwise) conv.
/// Callers check this first, before reading weights, so an unsupported network is refused at once.
public func checkPrunable(_ graph: Graph) throws(GraphError) {
    for node in graph.nodes {
        switch node.op {
        case .add, .concat, .zeroPad:
            throw GraphError("pruning '\(graph.name)' needs channel index maps at '\(node.name)' (\(node.op.kindName)), which dnalc's pruner does not support yet: plain-chain networks only for now; the masks and the hard-gated weights hold the result")
        case .conv(let c) where c.groups > 1:
            let inputChannels = graph.nodes[node.inputs[0]].shape.channels
            if !(c.groups == inputChannels && c.groups == c.outChannels) {
                throw GraphError("pruning grouped convolutions ('\(node.name)', \(c.groups) groups) is not supported")
            }
        default:
            break
        }
    }
}

/// A pruned network: the compact graph, and for each of its parameters and buffers which
/// elements of the original tensor of the same name it keeps (see `PrunedNetwork.slices`).
public struct PrunedNetwork: Sendable {
    public var graph: Graph
    /// Per tensor name (`conv1.weight`, `conv1.bn.running_mean`, `conv1.gate.alpha`, ...), the
    /// kept indices along each axis of the original tensor in dnalc's layouts (conv weights
    /// `[K, K, Cin/g, Cout]`, linear `[In, Out]`, vectors `[C]`).
    public var slices: [String: [[Int]]]
}

/// Physically removes the channels `gates` close from a plain-chain network (convs, depthwise
/// convs, batch norms, gates, activations, pools, flatten, dropout, linear layers): each conv
/// keeps the filters whose rows survive and reads the channels its columns keep
/// (`computeChannelMasks`), so the result computes exactly what the hard-gated network computes.
/// Gates stay, with only kept (open) channels, so the network can be searched again.
///
/// Residual adds, candidate sums, concatenations and option-A zero-pads need channel index maps
/// (a branch writing into a subset of the trunk, the next block reading a subset) that the IR
/// does not have yet: those networks are refused, naming the node.
/// Postconditions: the result verifies; its cost under the dnal convention equals the masked cost.
public func pruneGatedChannels(_ graph: Graph, gates: GateMasks) throws(GraphError) -> PrunedNetwork {
    try checkPrunable(graph)
    try gates.validate(for: graph)
    try checkMasksKeepNetworkConnected(graph, gates: gates)
    let masks = computeChannelMasks(graph, gates: gates)
    func indices(_ flags: [Bool]) -> [Int] { flags.indices.filter { flags[$0] } }

    var kept = [[Int]](repeating: [], count: graph.nodes.count)   // kept channels of each node's output
    var builder = GraphBuilder(input: graph.inputShape, origin: graph.nodes[0].origin)
    kept[0] = Array(0..<graph.inputShape.channels)
    var slices: [String: [[Int]]] = [:]
    for node in graph.nodes.dropFirst() {
        let x = node.inputs[0], input = graph.nodes[x]
        var op = node.op
        switch node.op {
        case .conv(let c):
            let depthwise = c.groups > 1 && c.groups == input.shape.channels && c.groups == c.outChannels
            var rows = indices(masks.rows[node.id]!)
            if depthwise {
                rows = kept[x]  // a depthwise conv keeps exactly its input's channels
                op = .conv(Conv(outChannels: rows.count, kernel: c.kernel, stride: c.stride, padding: c.padding,
                                groups: rows.count, bias: c.bias, prunable: c.prunable))
                slices[node.name + ".weight"] = [Array(0..<c.kernel), Array(0..<c.kernel), [0], rows]
            } else {
                let columns = indices(masks.columns[node.id]!)
                guard Set(columns).isSubset(of: kept[x]) else {
                    throw GraphError("internal: '\(node.name)' reads channels its input no longer has")
                }
                let positions = columns.map { kept[x].firstIndex(of: $0)! }
                guard positions == Array(0..<kept[x].count) else {
                    throw GraphError("'\(node.name)' would read a subset of its input's channels, which needs a gather map (not supported yet)")
                }
                op = .conv(Conv(outChannels: rows.count, kernel: c.kernel, stride: c.stride, padding: c.padding, groups: 1,
                                bias: c.bias, prunable: c.prunable))
                slices[node.name + ".weight"] = [Array(0..<c.kernel), Array(0..<c.kernel), columns, rows]
            }
            if c.bias { slices[node.name + ".bias"] = [rows] }
            kept[node.id] = rows
        case .linear(let l):
            let columns = indices(masks.columns[node.id]!)
            // a flattened input keeps whole channels' spatial blocks, in the same order
            let inputFeatures = input.shape.isFeatureMap && input.shape.spatialCount > 1
                ? kept[x].flatMap { c in (0..<input.shape.spatialCount).map { c * input.shape.spatialCount + $0 } } : kept[x]
            guard columns == inputFeatures || (input.shape.isFeatureMap ? columns == kept[x] : false) else {
                throw GraphError("'\(node.name)' would read a subset of its input's features, which needs a gather map (not supported yet)")
            }
            slices[node.name + ".weight"] = [columns, Array(0..<l.outFeatures)]
            if l.bias { slices[node.name + ".bias"] = [Array(0..<l.outFeatures)] }
            kept[node.id] = Array(0..<l.outFeatures)
        case .flatten:
            let spatial = input.shape.spatialCount
            kept[node.id] = kept[x].flatMap { c in (0..<spatial).map { c * spatial + $0 } }
        case .batchNorm:
            for suffix in ["weight", "bias", "running_mean", "running_var"] { slices[node.name + "." + suffix] = [kept[x]] }
            kept[node.id] = kept[x]
        case .gate:
            slices[node.name + ".alpha"] = [kept[x]]
            slices[node.name + ".mask"] = [kept[x]]
            kept[node.id] = kept[x]
        default:
            kept[node.id] = kept[x]
        }
        do {
            try builder.add(node.name, op, inputs: node.inputs, origin: node.origin)
        } catch {
            throw GraphError("pruning '\(node.name)': \(error.message)")
        }
    }
    // every gate's kept channels must be exactly its open ones, or the hard-gated function changes
    for node in graph.nodes where node.op == .gate {
        let open = indices(gates.keep[node.id]!)
        guard Set(kept[node.id]).isSubset(of: Set(open)) else {
            throw GraphError("internal: gate '\(node.name)' keeps closed channels")
        }
    }
    return PrunedNetwork(graph: try builder.finish(name: graph.name, classes: graph.classes, output: graph.output,
                                                   search: graph.search), slices: slices)
}
