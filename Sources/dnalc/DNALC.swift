import ArgumentParser

/// The `dnalc` command line: one subcommand per stage of the DNAL workflow.
@main
struct DNALC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dnalc",
        abstract: "A compiler and CPU runtime for DNAL (Differentiable Neural Architecture Learning).",
        discussion: "Networks are described in the YAML DSL of Grammar.md; see README.md for the workflow.",
        version: "0.1.0",
        subcommands: [Analyze.self, Search.self, Prune.self, Train.self, Eval.self, Predict.self, Export.self, Bench.self]
    )
}
