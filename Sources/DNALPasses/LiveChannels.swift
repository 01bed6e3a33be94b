import DNALCore

/// Which channels of each tensor can carry data under hard gate masks (depend on the input),
/// given the columns the reference's rule lets each layer read. A conv output channel that
/// reads no such channel (every channel it would read was closed on the way, or is itself dead)
/// would only produce a constant: its bias, or after batch norm beta - gamma * mean / sigma.
///
/// The reference counts such a channel as dead (docs/dnal-method.md 7.1: a row counts only with at
/// least one live input) while its masked network still adds the constant. dnalc takes the
/// counter's side: a dead channel is zero. The pruner drops it, the search's fine-tuning keeps
/// its bias and batch-norm affine parameters at zero (`deadRows`), and the cost counts nothing
/// for it. What the next layers read is unchanged: the reference's columns still decide that, so
/// a residual block whose first gate closes every channel reduces to its shortcut and the next
/// block still reads the trunk channels the dead block's output gate kept.
///
/// `reference`: per node, the channels a reader's columns keep (the reference rule).
func liveChannels(_ graph: Graph, gates: [Int: [Bool]], reference: [[Bool]]) -> [[Bool]] {
    var live = [[Bool]](repeating: [], count: graph.nodes.count)
    for node in graph.nodes {
        let width = node.shape.isFeatureMap ? node.shape.channels : node.shape.elementCount
        guard let x = node.inputs.first else {
            live[node.id] = [Bool](repeating: true, count: width)
            continue
        }
        let input = live[x]
        switch node.op {
        case .conv(let c):
            let depthwise = c.groups > 1 && c.groups == input.count && c.groups == c.outChannels
            if depthwise {
                live[node.id] = input
            } else if c.prunable && c.groups == 1 {
                let any = zip(input, reference[x]).contains { $0 && $1 }
                live[node.id] = [Bool](repeating: any, count: width)
            } else {
                // every channel is read; a group's outputs are live when any input of the group is
                let perGroupIn = input.count / c.groups, perGroupOut = width / c.groups
                live[node.id] = (0..<width).map { o in
                    let g = o / perGroupOut
                    return input[(g * perGroupIn)..<((g + 1) * perGroupIn)].contains(true)
                }
            }
        case .linear:
            let any = zip(input, reference[x]).contains { $0 && $1 }
            live[node.id] = [Bool](repeating: any, count: width)
        case .gate:
            let keep = gates[node.id] ?? input.map { _ in true }
            live[node.id] = zip(input, keep).map { $0 && $1 }
        case .add:
            live[node.id] = (0..<width).map { c in node.inputs.contains { live[$0][c] } }
        case .activation, .pool, .globalAvgPool, .dropout, .identity, .flatten, .concat, .zeroPad, .gather, .scatter:
            live[node.id] = movedChannels(node, graph, empty: false) { live[$0] }
        case .input, .batchNorm:
            live[node.id] = input
        }
    }
    return live
}

/// Per conv with dead output channels that the masks would otherwise keep (an open gate after
/// them): those channels (`liveChannels`). Zeroing their bias and batch-norm scale and shift
/// makes the hard-gated network compute what the pruned network does.
public func deadRows(_ graph: Graph, gates: GateMasks) -> [Int: [Int]] {
    hardChannelAnalysis(graph, gates: gates).deadRows
}
