import DNALCore

/// One node's share of the network's cost.
public struct LayerCost: Sendable, Equatable {
    public var name: String
    /// The op as dumps spell it (`conv`, `dwconv`, `bn`, ...).
    public var op: String
    public var input: Shape?
    public var output: Shape
    public var flops: Int
    public var params: Int
}

/// Per-node and total cost of a network under one convention.
public struct CostReport: Sendable, Equatable {
    public var network: String
    public var convention: CostConvention
    /// Every node but the input, in graph order.
    public var layers: [LayerCost]
    public var totalFLOPs: Int
    public var totalParams: Int
    /// Gate nodes and the channels they gate (the architecture parameters a search learns).
    public var gateLayers: Int
    public var gateChannels: Int
}

/// Counts FLOPs and parameters of every node of `graph` under `convention`; with `masks`, of the
/// hard-gated network those masks define, counted as the reference does (docs/dnal-method.md 7.1):
/// an output channel counts only if its row is kept and it reads at least one live input, and a
/// prunable conv's batch norm counts only those live channels.
///
/// Precondition: `graph` verifies. Postcondition: totals are the sums of the per-layer figures
/// (cost is additive over nodes; no term is attributed to two nodes).
public func computeCost(_ graph: Graph, convention: CostConvention, masks: ChannelMasks? = nil) -> CostReport {
    cost(graph, convention: convention, live: masks.map { liveWeights(graph, rows: $0.rows, columns: $0.columns) } ?? [:])
}

/// The cost the reference's own counter gives the hard-gated network `gates` define
/// (`computeReferenceChannelMasks`): the figure to compare with the paper's tables. It equals
/// `computeCost(masks: computeChannelMasks(...))`, what the compact network costs, unless a gate
/// closes entirely; then it is higher, since it still counts the convs in front of that gate.
public func computeReferenceCost(_ graph: Graph, convention: CostConvention, gates: GateMasks) -> CostReport {
    computeCost(graph, convention: convention, masks: computeReferenceChannelMasks(graph, gates: gates))
}

/// The expected cost under soft masks (each row and column surviving with its probability):
/// the search's "expected FLOPs", rounded to whole FLOPs and parameters.
public func computeExpectedCost(_ graph: Graph, convention: CostConvention, masks: SoftChannelMasks) -> CostReport {
    cost(graph, convention: convention, live: liveWeights(graph, rows: masks.rows, columns: masks.columns))
}

func cost(_ graph: Graph, convention: CostConvention, live: [Int: LiveWeights]) -> CostReport {
    var layers: [LayerCost] = []
    var gateLayers = 0, gateChannels = 0
    layers.reserveCapacity(graph.nodes.count)
    for node in graph.nodes.dropFirst() {
        let input = node.inputs.first.map { graph.nodes[$0].shape }
        let (flops, params) = nodeCost(node, graph: graph, convention: convention, live: live)
        if case .gate = node.op {
            gateLayers += 1
            gateChannels += node.shape.channels
        }
        layers.append(LayerCost(name: node.name, op: node.op.kindName, input: input, output: node.shape,
                                flops: flops, params: params))
    }
    return CostReport(network: graph.name, convention: convention, layers: layers,
                      totalFLOPs: layers.reduce(0) { $0 + $1.flops }, totalParams: layers.reduce(0) { $0 + $1.params },
                      gateLayers: gateLayers, gateChannels: gateChannels)
}

/// Surviving weights of a masked conv or linear: (weights kept, output channels alive).
struct LiveWeights {
    var weights: Int
    var alive: Int
}

/// Per conv/linear node, what survives the masks: an output channel is alive iff its row is
/// kept and it reads at least one kept input (with soft masks: expected counts, rounded).
func liveWeights<V: ChannelValue>(_ graph: Graph, rows allRows: [Int: [V]], columns allColumns: [Int: [V]]) -> [Int: LiveWeights] {
    var result: [Int: LiveWeights] = [:]
    for node in graph.nodes {
        guard let rows = allRows[node.id], let columns = allColumns[node.id] else { continue }
        let read = columns.reduce(0.0) { $0 + $1.weight }
        var weights = 0.0, alive = 0.0
        switch node.op {
        case .conv(let c):
            let depthwise = c.groups > 1 && c.groups == c.outChannels && c.groups == columns.count
            let perInput = Double(c.kernel * c.kernel)
            for o in rows.indices where rows[o].weight > 0 {
                let inputs = depthwise ? columns[o].weight : (c.groups > 1 ? Double(columns.count / c.groups) : read)
                if inputs > 0 {
                    alive += rows[o].weight
                    weights += rows[o].weight * inputs * perInput
                }
            }
        case .linear:
            alive = read > 0 ? rows.reduce(0.0) { $0 + $1.weight } : 0
            weights = alive * read
        default:
            continue
        }
        result[node.id] = LiveWeights(weights: Int(weights.rounded()), alive: Int(alive.rounded()))
    }
    return result
}

/// (FLOPs, params) of one node.
func nodeCost(_ node: Node, graph: Graph, convention: CostConvention, live: [Int: LiveWeights] = [:]) -> (Int, Int) {
    guard let inputID = node.inputs.first else { return (0, 0) }
    let input = graph.nodes[inputID]
    switch node.op {
    case .conv(let c):
        let weights = live[node.id]?.weights ?? c.weightCount(inChannels: input.shape.channels)
        let macs = weights * node.shape.spatialCount
        let bias = c.bias ? (live[node.id]?.alive ?? c.outChannels) : 0
        switch convention {
        case .dnal: return (macs + bias, weights + bias)
        case .macs: return (macs, weights + bias)
        case .flops: return (2 * macs, weights + bias)
        }
    case .linear(let l):
        let weights = live[node.id]?.weights ?? input.shape.elementCount * l.outFeatures
        let bias = l.bias ? (live[node.id]?.alive ?? l.outFeatures) : 0
        switch convention {
        case .dnal: return (weights + bias, weights + bias)
        case .macs: return (weights, weights + bias)
        case .flops: return (2 * weights, weights + bias)
        }
    case .batchNorm:
        // with masks, a conv's batch norm keeps only the conv's live channels
        let channels = live[inputID]?.alive ?? node.shape.channels
        switch convention {
        case .dnal:
            // The reference counter attributes gamma/beta and one FLOP per channel to every
            // MaskedConv2d and ignores every other batch norm.
            if case .conv(let c) = input.op, c.prunable { return (channels, 2 * channels) }
            return (0, 0)
        case .macs, .flops:
            return (0, 2 * channels)
        }
    default:
        return (0, 0)
    }
}
