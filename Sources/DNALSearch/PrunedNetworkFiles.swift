import DNALCore
import DNALPasses
import DNALRuntime
import DNALSyntax
import Foundation

/// The compact network gate masks define, with weights inherited from the gated network: what
/// `dnalc prune` and the end of `dnalc search` write as `PRUNED.yaml` plus `PRUNED.safetensors`.
public struct PrunedNetworkFiles {
    /// The gated network it was pruned from.
    public let original: Graph
    /// The compact network (`pruneGatedChannels`).
    public let graph: Graph
    /// Its weights: slices of the gated network's.
    public let parameters: ParameterStore
    /// The gate masks it was pruned by.
    public let masks: GateMasks
    /// Per conv, output channels dropped as dead although their gate is open (`deadRows`).
    public let deadChannels: [String: Int]

    /// Prunes `graph` by `masks` and slices `weights` (the gated network's parameters) into it.
    public init(pruning graph: Graph, weights: ParameterStore, masks: GateMasks, mode: PruneMode = .indexMaps) throws {
        let pruned = try pruneGatedChannels(graph, gates: masks, mode: mode)
        let compact = ParameterStore(graph: pruned.graph)
        try inheritWeights(pruned, from: weights, into: compact)
        (original, self.graph, parameters, deadChannels) = (graph, pruned.graph, compact, pruned.deadChannels)
        self.masks = masks
    }

    /// The cost of the gated and of the compact network, under the dnal convention.
    public var costs: (before: CostReport, after: CostReport) {
        (computeCost(original, convention: .dnal), computeCost(graph, convention: .dnal))
    }

    /// Writes the canonical YAML to `yamlPath` and the weights beside it (same name, `.safetensors`),
    /// each atomically; the YAML's header says where it came from (`provenance`) and what it costs;
    /// `metadata` (e.g. the input normalisation) goes into the weights file.
    /// Returns the weights' path.
    @discardableResult
    public func write(to yamlPath: String, metadata: [String: String] = [:], provenance: String) throws -> String {
        let weightsPath = (yamlPath as NSString).deletingPathExtension + ".safetensors"
        let (before, after) = costs
        let text = Emitter.emit(graph, comments: [
            provenance,
            "cost (dnal convention): \(before.totalFLOPs) -> \(after.totalFLOPs) FLOPs, \(before.totalParams) -> \(after.totalParams) params",
            "weights: \((weightsPath as NSString).lastPathComponent)",
        ])
        try parameters.save(to: weightsPath, metadata: ["network": original.name].merging(metadata) { _, new in new })
        try writeAtomically([UInt8](text.utf8), to: yamlPath)
        return weightsPath
    }
}

/// Fills the pruned network's parameters from the gated network's: slices of every tensor
/// (`PrunedNetwork.slices`), the gate masks the pruner decided, and zeros where `.dense` keeps
/// weights or channels the hard-gated network does not use.
public func inheritWeights(_ pruned: PrunedNetwork, from weights: ParameterStore, into parameters: ParameterStore) throws {
    try parameters.copySlices(from: weights, slices: pruned.slices)
    for (name, values) in pruned.gateMasks { parameters.set(name, values) }
    for (name, entries) in pruned.zeroedEntries {
        let p = parameters.pointer(name)
        for i in entries { p[i] = 0 }
    }
    for (name, inputs) in pruned.zeroedInputs {
        // conv [K, K, Cin, Cout] and linear [In, Out]: an input is a row of Cout (Out) values per tap
        let shape = parameters.entry(name)!.shape
        let (taps, cin, cout) = shape.count == 4 ? (shape[0] * shape[1], shape[2], shape[3]) : (1, shape[0], shape[1])
        let p = parameters.pointer(name)
        for tap in 0..<taps {
            for i in inputs { (p + (tap * cin + i) * cout).update(repeating: 0, count: cout) }
        }
    }
}
