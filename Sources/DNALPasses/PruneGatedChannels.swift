import DNALCore

/// A pruned network: the compact graph, and for each of its parameters and buffers which
/// elements of the original tensor of the same name it keeps (see `PrunedNetwork.slices`).
public struct PrunedNetwork: Sendable {
    public var graph: Graph
    /// Per tensor name (`ParameterTable`), the kept indices along each axis of the original
    /// tensor's shape (`ParameterSpec.shape`, PyTorch's layout), as `ParameterSpec.slices` gives them.
    public var slices: [String: [[Int]]]
    /// Per conv or linear weight, the input channels (linear: input features) of the sliced tensor
    /// whose weights must be zero so that it computes what the hard-gated network does: the
    /// trunk channels a block's first conv reads in `.dense` mode although the reference's
    /// masks drop them. Empty in `.indexMaps` mode.
    public var zeroedInputs: [String: [Int]]
    /// Per vector (conv bias, batch-norm weight and bias), entries of the sliced tensor to set to
    /// zero: dead channels that `.dense` keeps because they share a coupling set with live ones.
    public var zeroedEntries: [String: [Int]]
    /// Per gate mask buffer (`NAME.mask`), its values in the pruned network: 1 for the channels
    /// the masks keep, 0 for the closed ones `.dense` keeps. The masks, not the weights' own mask
    /// buffers, decide.
    public var gateMasks: [String: [Float]]
    /// Per conv name, the output channels dropped although their gate is open, because they read
    /// no live input and could only pass a constant (`deadRows`): dead, as the reference counts them.
    public var deadChannels: [String: Int]
}

/// How the pruner treats channels that a residual or candidate sum shares between tensors.
public enum PruneMode: String, Sendable, CaseIterable {
    /// The reference's semantics exactly: a branch writes only its kept channels into the
    /// full-width trunk (scatter), and a block's first layer reads only the trunk channels the
    /// previous block's gates kept (gather). The result costs exactly the reference count.
    case indexMaps
    /// No gathers or scatters: every tensor of an add group keeps the union of the channels its
    /// members keep, for runtimes that cannot index channels. Layers that read the trunk carry
    /// zero weights for channels the reference drops, so the function is unchanged; the cost is
    /// higher than the reference count (reported, never hidden).
    case dense
}

/// Physically removes the channels `gates` close, so the result computes exactly what the
/// hard-gated network computes (docs/dnal-method.md 6.2), and passes the verifier:
/// - each conv keeps the filters whose rows survive and reads the channels its columns keep
///   (`computeChannelMasks`); a depthwise conv keeps its kept channels, and with them the
///   expansion conv's filters in front of it;
/// - where a layer reads part of a tensor it reads through a `gather`; where a residual branch or
///   candidate op writes part of a sum it writes through a `scatter` into the sum's width, which
///   is the union of what its inputs keep (`.indexMaps`; `.dense` aligns the sets instead);
/// - a tensor left with no channel disappears, with the layers that computed it: a candidate op
///   whose channels all close, a branch whose gates close, a sum left with one input (which takes
///   its place), a block reduced to its shortcut;
/// - channels that could only pass a constant are dead (`deadRows`) and dropped.
/// Gates stay, with only their open channels, so the network can be searched again.
///
/// Throws for masks that do not fit the graph, or that cut the output off.
/// Postcondition (`.indexMaps`): the cost under the dnal convention equals the masked cost
/// (`computeCost` with `computeChannelMasks`).
public func pruneGatedChannels(_ graph: Graph, gates: GateMasks, mode: PruneMode = .indexMaps) throws(GraphError) -> PrunedNetwork {
    try gates.validate(for: graph)
    try checkMasksKeepNetworkConnected(graph, gates: gates)
    // a first pass finds what each tensor keeps; the second gives every sum its coupling set's
    // union (and, dense, every tensor)
    let hard = hardChannelAnalysis(graph, gates: gates)
    var probe = PruneRewriter(graph: graph, gates: gates, hard: hard)
    _ = try probe.run()
    let union = denseChannels(graph, kept: probe.kept)
    var rewriter = mode == .dense ? PruneRewriter(graph: graph, gates: gates, hard: hard, denseKept: union)
                                  : PruneRewriter(graph: graph, gates: gates, hard: hard, sumWidths: union)
    let pruned = try rewriter.run()
    var dead: [String: Int] = [:]
    for (id, rows) in hard.deadRows { dead[graph.nodes[id].name] = rows.count }
    return PrunedNetwork(graph: pruned, slices: rewriter.slices, zeroedInputs: rewriter.zeroedInputs,
                         zeroedEntries: rewriter.zeroedEntries, gateMasks: rewriter.gateMasks, deadChannels: dead)
}

/// For `.dense`: a channel is kept in every tensor of its coupling set (channelwise ops, sums,
/// depthwise convs, zero-pads, concats tie them) when the index-map pruning keeps it in any,
/// so that the inputs of every sum hold the same channels and no gather or scatter is needed.
func denseChannels(_ graph: Graph, kept: [[Int]]) -> [[Bool]] {
    var (sets, _) = linkChannels(graph)
    var keep = Set<Int>()
    for node in graph.nodes where node.shape.isFeatureMap {
        for c in kept[node.id] { keep.insert(sets.find(node.id, c)) }
    }
    return graph.nodes.map { node in
        guard node.shape.isFeatureMap else { return [Bool](repeating: true, count: node.shape.elementCount) }
        return (0..<node.shape.channels).map { keep.contains(sets.find(node.id, $0)) }
    }
}
