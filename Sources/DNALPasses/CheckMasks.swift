import DNALCore

/// Checks that `gates` leave a path from the input to the output: a gate that closes every
/// channel of a plain chain disconnects the network, while one on a residual branch or in a
/// candidate op only removes that branch or op (the shortcut or the other ops remain).
/// Channels that could only carry a constant count as dead (`liveChannels`).
/// - Throws: naming the first gate that closes all of its channels, when the output is cut off.
public func checkMasksKeepNetworkConnected(_ graph: Graph, gates: GateMasks) throws(GraphError) {
    let masks = computeChannelMasks(graph, gates: gates)
    let live = liveWeights(graph, rows: masks.rows, columns: masks.columns)
    var signal = [Bool](repeating: false, count: graph.nodes.count)
    signal[0] = true
    for node in graph.nodes.dropFirst() {
        let inputs = node.inputs.map { signal[$0] }
        switch node.op {
        case .conv, .linear:
            signal[node.id] = inputs[0] && (live[node.id]?.alive ?? 1) > 0
        case .gate:
            signal[node.id] = inputs[0] && (gates.keep[node.id]?.contains(true) ?? true)
        case .add, .concat:
            signal[node.id] = inputs.contains(true)
        default:
            signal[node.id] = inputs[0]
        }
    }
    guard !signal[graph.output] else { return }
    // The cut nearest the output: follow inputs without signal until a gate that closes all of
    // its channels, or a node whose inputs all have signal.
    var node = graph.nodes[graph.output]
    while !(node.op == .gate && !(gates.keep[node.id]?.contains(true) ?? true)),
          let dark = node.inputs.first(where: { !signal[$0] }) {
        node = graph.nodes[dark]
    }
    var message = "the masks cut every path from the input to the output: "
    if node.op == .gate {
        message += "gate '\(node.name)' closes all \(node.shape.channels) of its channels"
    } else {
        message += "'\(node.name)' reads none of the channels the gates in front of it kept"
    }
    throw GraphError(message)
}
