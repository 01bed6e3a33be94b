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

    /// Prunes `graph` by `masks` and slices `weights` (the gated network's parameters) into it.
    public init(pruning graph: Graph, weights: ParameterStore, masks: GateMasks) throws {
        let pruned = try pruneGatedChannels(graph, gates: masks)
        let compact = try Executor(graph: pruned.graph, maxBatch: 1, training: false, threads: 1)
        try compact.parameters.copySlices(from: weights, slices: pruned.slices)
        (original, self.graph, parameters) = (graph, pruned.graph, compact.parameters)
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
