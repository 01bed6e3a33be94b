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

/// Counts FLOPs and parameters of every node of `graph` under `convention`.
///
/// Precondition: `graph` verifies. Postcondition: totals are the sums of the per-layer figures
/// (cost is additive over nodes; no term is attributed to two nodes).
public func computeCost(_ graph: Graph, convention: CostConvention) -> CostReport {
    var layers: [LayerCost] = []
    var gateLayers = 0, gateChannels = 0
    layers.reserveCapacity(graph.nodes.count)
    for node in graph.nodes.dropFirst() {
        let input = node.inputs.first.map { graph.nodes[$0].shape }
        let (flops, params) = nodeCost(node, graph: graph, convention: convention)
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

/// (FLOPs, params) of one node.
func nodeCost(_ node: Node, graph: Graph, convention: CostConvention) -> (Int, Int) {
    guard let inputID = node.inputs.first else { return (0, 0) }
    let input = graph.nodes[inputID]
    switch node.op {
    case .conv(let c):
        let weights = c.weightCount(inChannels: input.shape.channels)
        let macs = weights * node.shape.spatialCount
        let bias = c.bias ? c.outChannels : 0
        switch convention {
        case .dnal: return (macs + bias, weights + bias)
        case .macs: return (macs, weights + bias)
        case .flops: return (2 * macs, weights + bias)
        }
    case .linear(let l):
        let weights = input.shape.elementCount * l.outFeatures
        let bias = l.bias ? l.outFeatures : 0
        switch convention {
        case .dnal: return (weights + bias, weights + bias)
        case .macs: return (weights, weights + bias)
        case .flops: return (2 * weights, weights + bias)
        }
    case .batchNorm:
        let channels = node.shape.channels
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
