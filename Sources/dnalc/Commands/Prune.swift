import ArgumentParser
import DNALCore
import DNALData
import DNALPasses
import DNALRuntime
import DNALSearch
import DNALSyntax
import Foundation

/// `dnalc prune FILE --weights W --out PRUNED.yaml`: the compact network the gate masks define,
/// as YAML plus inherited weights.
struct Prune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rewrite a gated network into the compact one its gate masks define: PRUNED.yaml and PRUNED.safetensors.",
        discussion: "The pruned network computes what the hard-gated one does. Residual branches write their kept channels into the full-width trunk through a scatter, and a block's first layer reads the trunk channels the previous block kept through a gather (the DNAL reference's semantics and cost); --dense aligns the channels of every sum instead, for runtimes without channel indexing, at a higher cost."
    )

    @Argument(help: "The gated network file (YAML).")
    var file: String

    @OptionGroup var weightsFile: WeightsOption

    @Option(help: ArgumentHelp("Gate masks (JSON, Grammar.md section 16); default: the masks stored in the weights.", valueName: "masks.json"))
    var masks: String?

    @Option(help: ArgumentHelp("The pruned network file to write; its weights go beside it as .safetensors.", valueName: "pruned.yaml"))
    var out: String

    @Flag(help: "No gathers or scatters: align the channels of every residual or candidate sum (the union of what its inputs keep), for runtimes without channel indexing. Same function, higher cost; both costs are printed.")
    var dense = false

    func validate() throws {
        guard out.hasSuffix(".yaml") || out.hasSuffix(".yml") else { throw ValidationError("--out must name a .yaml file, got '\(out)'") }
    }

    func run() throws {
        let graph = try loadNetwork(file)
        try exitingOnUserError {
            try checkWritable(out, flag: "--out")
            let (result, normalization) = try pruneNetwork(graph, weights: weightsFile.weights, masks: masks, mode: dense ? .dense : .indexMaps)
            let source = masks.map { ($0 as NSString).lastPathComponent } ?? "the masks in \((weightsFile.weights as NSString).lastPathComponent)"
            let metadata = ["pruned_from": file].merging(normalization?.metadata ?? [:]) { a, _ in a }
            let weightsOut = try result.write(to: out, metadata: metadata,
                                              provenance: "pruned by dnalc from \((file as NSString).lastPathComponent) with \(source)")
            let (before, after) = result.costs
            print(comparisonTable(Comparison(base: before, other: renamed(after, "\(graph.name) pruned\(dense ? " (dense)" : "")")), markdown: false),
                  terminator: "")
            if dense {
                let maps = computeCost(try pruneGatedChannels(graph, gates: result.masks).graph, convention: .dnal)
                print("with gathers and scatters instead (without --dense): \(human(maps.totalFLOPs)) FLOPs, \(human(maps.totalParams)) params")
            }
            if !result.deadChannels.isEmpty {
                let total = result.deadChannels.values.reduce(0, +)
                print("dropped \(total) open channel(s) of \(result.deadChannels.count) conv(s) that read no live input and could only pass a constant (dead, as the reference counts them): \(result.deadChannels.keys.sorted().joined(separator: ", "))")
            }
            print("wrote \(out) and \(weightsOut)")
        }
    }
}

/// The pruned network, its weights sliced from `weights` by the masks (from `masks`, or the
/// weights' own `.mask` buffers), and the input normalisation the weights were trained with.
func pruneNetwork(_ graph: Graph, weights: String, masks: String?, mode: PruneMode) throws -> (PrunedNetworkFiles, Normalization?) {
    let (original, normalization) = try inferenceExecutor(graph, weights: weights)
    let gateMasks: GateMasks
    if let masks {
        gateMasks = try MasksFile.read(masks, for: graph)
    } else {
        gateMasks = original.parameters.storedMasks(graph)
    }
    return (try PrunedNetworkFiles(pruning: graph, weights: original.parameters, masks: gateMasks, mode: mode), normalization)
}

func renamed(_ report: CostReport, _ name: String) -> CostReport {
    var r = report
    r.network = name
    return r
}
