import ArgumentParser
import DNALCore
import DNALPasses
import DNALRuntime
import DNALSyntax
import Foundation

/// `dnalc prune FILE --weights W --out PRUNED.yaml`: the compact network the gate masks define,
/// as YAML plus inherited weights.
struct Prune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rewrite a gated network into the compact one its gate masks define: PRUNED.yaml and PRUNED.safetensors.",
        discussion: "Plain-chain networks (convs, depthwise convs, batch norms, gates, pools, linear layers) for now; residual and candidate-op networks need channel maps the pruner does not support yet."
    )

    @Argument(help: "The gated network file (YAML).")
    var file: String

    @Option(help: "Its weights (safetensors), e.g. a search's final.safetensors.")
    var weights: String

    @Option(help: ArgumentHelp("Gate masks (JSON, Grammar.md section 16); default: the masks stored in the weights.", valueName: "masks.json"))
    var masks: String?

    @Option(help: ArgumentHelp("The pruned network file to write; its weights go beside it as .safetensors.", valueName: "pruned.yaml"))
    var out: String

    func validate() throws {
        guard out.hasSuffix(".yaml") || out.hasSuffix(".yml") else { throw ValidationError("--out must name a .yaml file, got '\(out)'") }
    }

    func run() throws {
        let graph = try loadNetwork(file)
        do {
            let result = try pruneNetwork(graph, weights: weights, masks: masks)
            let weightsOut = (out as NSString).deletingPathExtension + ".safetensors"
            let before = computeCost(graph, convention: .dnal), after = computeCost(result.graph, convention: .dnal)
            let comments = ["pruned by dnalc from \((file as NSString).lastPathComponent) with \(masks.map { ($0 as NSString).lastPathComponent } ?? "the masks in \((weights as NSString).lastPathComponent)")",
                            "cost (dnal convention): \(before.totalFLOPs) -> \(after.totalFLOPs) FLOPs, \(before.totalParams) -> \(after.totalParams) params",
                            "weights: \((weightsOut as NSString).lastPathComponent)"]
            let text = Emitter.emit(result.graph, comments: comments)
            try result.store.save(to: weightsOut, metadata: ["network": graph.name, "pruned_from": file])
            try writeAtomically([UInt8](text.utf8), to: out)
            print(comparisonTable(Comparison(base: before, other: renamed(after, "\(graph.name) pruned")), markdown: false), terminator: "")
            print("wrote \(out) and \(weightsOut)")
        } catch let error as GraphError {
            printError("error: \(error.message)")
            throw ExitCode(1)
        } catch let error as RuntimeError {
            printError("error: \(error.message)")
            throw ExitCode(1)
        }
    }
}

/// The pruned graph and its weights, sliced from `weights` by the masks (from `masks`, or the
/// weights' own `.mask` buffers).
func pruneNetwork(_ graph: Graph, weights: String, masks: String?) throws -> (graph: Graph, store: ParameterStore) {
    let original = try Executor(graph: graph, maxBatch: 1, training: false, threads: 1)
    try original.parameters.load(from: weights)
    let gateMasks: GateMasks
    if let masks {
        gateMasks = try MasksFile.read(masks, for: graph)
    } else {
        var keep: [Int: [Bool]] = [:]
        for n in graph.nodes where n.op == .gate { keep[n.id] = original.parameters.values(of: n.name + ".mask").map { $0 > 0.5 } }
        gateMasks = GateMasks(keep: keep)
    }
    let pruned = try pruneGatedChannels(graph, gates: gateMasks)
    let compact = try Executor(graph: pruned.graph, maxBatch: 1, training: false, threads: 1)
    try compact.parameters.copySlices(from: original.parameters, slices: pruned.slices)
    return (pruned.graph, compact.parameters)
}

func renamed(_ report: CostReport, _ name: String) -> CostReport {
    var r = report
    r.network = name
    return r
}
