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
    /// A new run on the PyTorch backend (or, resuming, the interpreter to use), and whether to
    /// launch torchrun here or only write the job.
    var torch: TorchSettings? = nil
    var launch = true
    /// Print only the final summary (errors still go to standard error).
    var quiet = false

    /// Runs `recipe` (or, resuming, the recipe config.json records).
    func run(recipe: @escaping () throws -> RunRecipe, header: (RunRecipe, String, String, TorchSettings?) -> String,
             epochLine: @escaping (EpochRecord, RunRecipe) -> String, summary: (SearchReport, RunRecipe) -> String) throws {
        let directory = resume ?? out ?? "runs/\(graph.name)-\(timestamp())"
        try exitingOnUserError {
            do {
                let run = try RunDirectory(graph: graph, file: file, data: data, directory: directory, resume: resume != nil,
                                           threads: threads, command: command, weights: weights, torch: torch, recipe: recipe)
                try execute(run, header: header, epochLine: epochLine, summary: summary)
            } catch let error as SearchError where error.message == "interrupted" {
                printError("interrupted: the last checkpoint is in \(directory)/checkpoints; continue with dnalc \(command) \(file) --resume \(directory)")
                throw ExitCode(130)
            }
        }
    }

    private func execute(_ run: RunDirectory, header: (RunRecipe, String, String, TorchSettings?) -> String,
                         epochLine: @escaping (EpochRecord, RunRecipe) -> String,
                         summary: (SearchReport, RunRecipe) -> String) throws {
        defer { fflush(nil) }
        let recipe = run.recipe, trainer = run.trainer
        if !quiet { print(header(recipe, trainer.dataSource, run.path, run.torch)) }
        fflush(nil)
        signal(SIGINT) { _ in interrupted = true }
        trainer.shouldStop = { interrupted }
        let terminal = isatty(STDOUT_FILENO) == 1 && !quiet
        var epochStart = Date(), epochsSeen = 0, epochSeconds = 0.0
        let onEpoch: (EpochRecord) -> Void = { record in
            epochsSeen += 1
            epochSeconds += Date().timeIntervalSince(epochStart)
            epochStart = Date()
            guard !quiet else { return }
            if terminal { print("\r\u{1B}[K", terminator: "") }
            print(epochLine(record, recipe))
            fflush(nil)
        }
        var onBatch: (EpochPlan, Int, Int) -> Void = { _, _, _ in }
        if terminal {
            // a progress line fitted to the terminal, redrawn in place, with the time left in the
            // epoch and in the run (later epochs estimated at this run's mean epoch so far)
            onBatch = { plan, batch, batches in
                let done = Double(batch + 1) / Double(batches), elapsed = Date().timeIntervalSince(epochStart)
                let epochLeft = elapsed / done - elapsed
                let perEpoch = epochsSeen > 0 ? epochSeconds / Double(epochsSeen) : elapsed / done
                let runLeft = epochLeft + Double(recipe.epochsAfter(plan)) * perEpoch
                let position = "\(command == "train" ? "epoch" : "phase \(plan.phase)") \(plan.epoch + 1)/\(plan.epochs)"
                let line = ProgressLine(position: position, done: done, epochLeft: epochLeft, runLeft: runLeft)
                print("\r\u{1B}[K" + line.render(columns: ProgressLine.terminalColumns()), terminator: "")
                fflush(nil)
            }
        }
        if let torch = run.torch {
            let search = try TorchSearch(run: run, settings: torch, threadsPerProcess: max(1, threads / torch.processes))
            search.onEpoch = onEpoch
            search.onBatch = onBatch
            search.interrupted = { interrupted }
            search.onWarning = printError
            guard let report = try search.run(launch: launch) else {
                let command = torch.command(jobDirectory: search.jobDirectory).map(shellQuoted).joined(separator: " ")
                print("""
                    wrote the job into \(search.jobDirectory); run it on \(torch.nodes == 1 ? "the machine" : "every machine") (same directory, or a copy of the run directory):
                      \(command)
                    then continue here with: dnalc search \(file) --resume \(run.path) --launch none
                    (it derives phase 3's weight masks natively and prints the command again, or finishes the run)
                    """)
                return
            }
            print(summary(report, recipe))
            return
        }
        trainer.onEpoch = onEpoch
        trainer.onBatch = onBatch
        print(summary(try run.run(), recipe))
    }
}

/// `s` quoted for a POSIX shell when it needs it.
func shellQuoted(_ s: String) -> String {
    let safe = s.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=@,+".contains($0) }
    return safe && !s.isEmpty ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
