import ArgumentParser
import DNALCore
import Foundation

/// The `dnalc` command line: one subcommand per stage of the DNAL workflow.
@main
struct DNALC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dnalc",
        abstract: "A compiler and CPU runtime for DNAL (Differentiable Neural Architecture Learning).",
        discussion: "Networks are described in the YAML DSL of Grammar.md; see README.md for the workflow. Shell completion: dnalc --generate-completion-script bash|zsh|fish.",
        version: DNALCVersion.full,
        subcommands: [Analyze.self, Search.self, Prune.self, Train.self, Eval.self, Predict.self, Export.self, Bench.self]
    )

    /// Parses and runs the command, first catching a misspelt subcommand, which the parser would
    /// report as "unexpected arguments".
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let names = configuration.subcommands.map { $0._commandName } + ["help"]
        if let first = arguments.first, !first.hasPrefix("-"), !names.contains(first) {
            var message = "error: unknown command '\(first)'"
            if let near = closestMatch(to: first, in: names) { message += "; did you mean '\(near)'?" }
            FileHandle.standardError.write(Data((message + " (the commands: \(names.dropLast().joined(separator: ", ")))\n").utf8))
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        main(arguments)
    }
}
