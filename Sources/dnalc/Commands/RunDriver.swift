import ArgumentParser
import DNALCore
import DNALSearch
import Foundation

/// Set by SIGINT; the run stops between batches and keeps its last checkpoint.
nonisolated(unsafe) private var interrupted = false

/// The terminal side of `dnalc search` and `dnalc train` (the run directory itself is
/// `RunDirectory`'s): per-epoch lines (flushed, so a piped log shows progress), the progress bar
/// on a terminal, Ctrl-C keeping the last checkpoint, and the error messages.
struct RunDriver {
    let command: String
    let graph: Graph
    let file: String
    let data: String?
    let out: String?
    let resume: String?
    let threads: Int
    /// A weights file to start from (train --weights); its recorded normalisation is kept.
    var weights: String? = nil

    /// Runs `recipe` (or, resuming, the recipe config.json records).
    func run(recipe: @escaping () throws -> RunRecipe, header: (RunRecipe, String, String) -> String,
             epochLine: @escaping (EpochRecord, RunRecipe) -> String, summary: (SearchReport, RunRecipe) -> String) throws {
        let directory = resume ?? out ?? "runs/\(graph.name)-\(timestamp())"
        try exitingOnUserError {
            do {
                let run = try RunDirectory(graph: graph, file: file, data: data, directory: directory, resume: resume != nil,
                                           threads: threads, command: command, weights: weights, recipe: recipe)
                try execute(run, header: header, epochLine: epochLine, summary: summary)
            } catch let error as SearchError where error.message == "interrupted" {
                printError("interrupted: the last checkpoint is in \(directory)/checkpoints; continue with dnalc \(command) \(file) --resume \(directory)")
                throw ExitCode(130)
            }
        }
    }

    private func execute(_ run: RunDirectory, header: (RunRecipe, String, String) -> String,
                         epochLine: @escaping (EpochRecord, RunRecipe) -> String,
                         summary: (SearchReport, RunRecipe) -> String) throws {
        defer { fflush(nil) }
        let recipe = run.recipe, trainer = run.trainer
        print(header(recipe, trainer.dataSource, run.path))
        signal(SIGINT) { _ in interrupted = true }
        trainer.shouldStop = { interrupted }
        let terminal = isatty(STDOUT_FILENO) == 1
        var epochStart = Date()
        trainer.onEpoch = { record in
            if terminal { print("\r\u{1B}[K", terminator: "") }
            print(epochLine(record, recipe))
            fflush(nil)
            epochStart = Date()
        }
        if terminal {
            // a progress bar with the time left in the epoch, redrawn in place
            trainer.onBatch = { plan, batch, batches in
                let done = Double(batch + 1) / Double(batches), elapsed = Date().timeIntervalSince(epochStart)
                let filled = Int(done * 30)
                let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled)
                let eta = elapsed / done - elapsed
                print("\r\u{1B}[K\(command == "train" ? "epoch" : "phase \(plan.phase)") \(plan.epoch + 1)/\(plan.epochs) [\(bar)] \(Int(done * 100))%  \(fixed(eta, 1)) s left in the epoch (then evaluation)",
                      terminator: "")
                fflush(nil)
            }
        }
        print(summary(try run.run(), recipe))
    }
}
