import ArgumentParser
import DNALCore

/// The `dnalc` command line: one subcommand per stage of the DNAL workflow.
@main
struct DNALC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dnalc",
        abstract: "A compiler and CPU runtime for DNAL (Differentiable Neural Architecture Learning).",
        discussion: "Networks are described in the YAML DSL of Grammar.md; see README.md for the workflow.",
        version: DNALCVersion.string,
        subcommands: [Analyze.self, Search.self, Prune.self, Train.self, Eval.self, Predict.self, Export.self, Bench.self]
    )
}
