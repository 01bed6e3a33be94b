import DNALCore
import DNALPasses
import DNALRuntime

extension CostReport {
    /// The total in `metric`.
    func total(_ metric: CostTarget.Metric) -> Int { metric == .flops ? totalFLOPs : totalParams }
}

/// The dnal-convention cost, in `metric`, of the network `masks` define: what report.json gives
/// the pruned network (and `dnalc analyze pruned.yaml` confirms).
func maskedCost(_ graph: Graph, masks: GateMasks, metric: CostTarget.Metric) -> Int {
    computeCost(graph, convention: .dnal, masks: computeChannelMasks(graph, gates: masks)).total(metric)
}

extension ParameterStore {
    /// The gate masks these weights hold (a mask buffer's channel is open when it is 1).
    public func storedMasks(_ graph: Graph) -> GateMasks {
        var masks = GateMasks(keep: [:])
        for n in graph.nodes where n.op == .gate { masks.keep[n.id] = values(of: n.id, .gateMask).map { $0 > 0 } }
        return masks
    }
}
