import DNALCore
import DNALPasses
import DNALRuntime

/// What training a hard-gated network masks besides its gates (docs/dnal-method.md 6.1):
/// the reference trains `weight * mask`, and its masks also cut the columns with which a block's
/// first conv reads trunk channels the previous block's output gate closed, although the shortcut
/// still carries them. Gates alone do not do that, so without this a residual network would train
/// a different function from the reference's. Applied after every step, the masked weights stay
/// exactly 0. The dead channels (`deadRows`) keep a zero bias and batch-norm scale and shift, so
/// they are exactly zero, as the pruned network and the cost count take them.
struct MaskedWeights {
    let graph: Graph
    let columns: ChannelMasks
    /// Per conv, the output channels that read no live input.
    let deadRows: [Int: [Int]]

    init(_ graph: Graph, gates: GateMasks) {
        self.graph = graph
        columns = computeChannelMasks(graph, gates: gates)
        deadRows = DNALPasses.deadRows(graph, gates: gates)
    }

    /// Zeroes the masked columns and the dead rows' vectors in `parameters`.
    func apply(to parameters: ParameterStore) {
        zeroMaskedColumns(graph, masks: columns, in: parameters)
        zeroDeadRows(graph, rows: deadRows, in: parameters)
    }
}

/// Sets to 0 every conv and linear weight that reads an input channel `masks.columns` drops, so
/// the network with gates set to the masks computes the reference's masked network. Rows need
/// nothing: a dropped row only ever reaches closed gates.
public func zeroMaskedColumns(_ graph: Graph, masks: ChannelMasks, in parameters: ParameterStore) {
    for node in graph.nodes {
        guard let columns = masks.columns[node.id], columns.contains(false) else { continue }
        let w = parameters.pointer(node.id, .weight)
        switch node.op {
        case .conv(let c) where c.groups == 1:
            // [K, K, Cin, Cout]
            let cin = columns.count, cout = c.outChannels
            for tap in 0..<(c.kernel * c.kernel) {
                for i in 0..<cin where !columns[i] {
                    (w + (tap * cin + i) * cout).update(repeating: 0, count: cout)
                }
            }
        case .linear(let l):
            // [In, Out]; a [C,H,W] input's channel c is the features c*H*W ..< (c+1)*H*W
            let input = graph.nodes[node.inputs[0]].shape
            let spatial = input.isFeatureMap ? input.spatialCount : 1
            for i in columns.indices where !columns[i] {
                (w + i * spatial * l.outFeatures).update(repeating: 0, count: spatial * l.outFeatures)
            }
        default:
            break  // grouped and depthwise convs keep every column (computeChannelMasks)
        }
    }
}

/// Sets to 0 the bias and the following batch norm's scale and shift of each dead conv output
/// channel (`deadRows`), so that the channel is exactly zero in training and inference alike.
public func zeroDeadRows(_ graph: Graph, rows: [Int: [Int]], in parameters: ParameterStore) {
    let consumers = graph.consumers()
    for (id, dead) in rows {
        let node = graph.nodes[id]
        var vectors: [(node: Int, role: ParameterRole)] = []
        if case .conv(let c) = node.op, c.bias { vectors.append((id, .bias)) }
        if consumers[id].count == 1, case .batchNorm = graph.nodes[consumers[id][0]].op {
            vectors += [(consumers[id][0], .normScale), (consumers[id][0], .normShift)]
        }
        for (node, role) in vectors {
            let p = parameters.pointer(node, role)
            for o in dead { p[o] = 0 }
        }
    }
}
