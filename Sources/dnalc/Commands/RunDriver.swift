import ArgumentParser
import DNALCore
import DNALData
import DNALKernels
import DNALRuntime
import DNALSearch
import Foundation

/// Set by SIGINT; the run stops between batches and keeps its last checkpoint.
nonisolated(unsafe) private var interrupted = false

/// What `config.json` records: enough to resume and to reproduce.
struct RunConfig: Codable {
    var network: String
    var file: String
    var data: String
    var threads: Int
    var isa: String
    var settings: SearchSettings
    /// The weights a `dnalc train --weights` run started from.
    var weights: String?
}

/// What `dnalc search` and `dnalc train` share: the run directory and its config.json, resuming,
/// per-epoch lines (flushed, so a piped log shows progress), the progress bar on a terminal,
/// Ctrl-C keeping the last checkpoint, and the error messages.
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

    /// Runs with the settings `settings` resolves (or, resuming, those in config.json).
    func run(settings resolveSettings: () throws -> SearchSettings, header: (SearchSettings, String, String) -> String,
             summary: (SearchReport, SearchSettings) -> String) throws {
        let directory = resume ?? out ?? "runs/\(graph.name)-\(timestamp())"
        let configPath = (directory as NSString).appendingPathComponent("config.json")
        try exitingOnUserError { try execute(in: directory, configPath: configPath, resolveSettings, header: header, summary: summary) }
    }

    /// The run itself; a Ctrl-C exits 130 here, every other error goes to `exitingOnUserError`.
    private func execute(in directory: String, configPath: String, _ resolveSettings: () throws -> SearchSettings,
             header: (SearchSettings, String, String) -> String, summary: (SearchReport, SearchSettings) -> String) throws {
        do {
            var resolved: SearchSettings
            var normalization: Normalization?
            var initial: (tensors: [String: SafeTensors.Tensor], source: String)?
            if resume != nil {
                guard let data = FileManager.default.contents(atPath: configPath),
                      let saved = try? JSONDecoder().decode(RunConfig.self, from: data) else {
                    throw SearchError("'\(directory)' is not a dnalc run directory (no readable config.json)")
                }
                guard saved.network == graph.name else { throw SearchError("'\(directory)' is a run of '\(saved.network)', not '\(graph.name)'") }
                resolved = saved.settings
                // the normalisation the run has used so far, as its last checkpoint records it
                let last = (directory as NSString).appendingPathComponent("checkpoints/last.safetensors")
                if let file = try? SafeTensors.read(last) { normalization = try Normalization(metadata: file.metadata, source: last) }
            } else {
                resolved = try resolveSettings()
                if FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("log.csv")) {
                    throw SearchError("'\(directory)' already holds a run; continue it with --resume \(directory), or choose another --out")
                }
                if let weights {
                    let file = try SafeTensors.read(weights)
                    initial = (file.tensors, weights)
                    normalization = try Normalization(metadata: file.metadata, source: weights)
                }
            }
            let splits = try DatasetLoader.load(directory: data)
            let run = try SearchRun(graph: graph, data: splits, settings: resolved, directory: directory, threads: threads,
                                    normalization: normalization, initialWeights: initial)
            if resume == nil {
                // only once the data, the network and the weights fit, so a refused run leaves nothing behind
                try SearchRun.prepareDirectory(directory)
                let config = RunConfig(network: graph.name, file: file, data: splits.source, threads: threads,
                                       isa: KernelISA.current.rawValue, settings: resolved, weights: weights)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try writeAtomically([UInt8](try encoder.encode(config)), to: configPath)
            }
            defer { fflush(nil) }
            print(header(resolved, splits.source, directory))
            signal(SIGINT) { _ in interrupted = true }
            run.shouldStop = { interrupted }
            let terminal = isatty(STDOUT_FILENO) == 1
            var epochStart = Date()
            run.onEpoch = { record in
                if terminal { print("\r\u{1B}[K", terminator: "") }
                print(command == "train" ? trainingLine(record, settings: resolved) : epochLine(record, settings: resolved))
                fflush(nil)
                epochStart = Date()
            }
            if terminal {
                // a progress bar with the time left in the epoch, redrawn in place
                run.onBatch = { phase, k, batch, batches in
                    let done = Double(batch + 1) / Double(batches), elapsed = Date().timeIntervalSince(epochStart)
                    let filled = Int(done * 30)
                    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled)
                    let eta = elapsed / done - elapsed
                    print("\r\u{1B}[K\(command == "train" ? "epoch" : "phase \(phase)") \(k + 1)/\(resolved.epochs[phase - 1]) [\(bar)] \(Int(done * 100))%  \(fixed(eta, 1)) s left in the epoch (then evaluation)",
                          terminator: "")
                    fflush(nil)
                }
            }
            let report = try run.run(resume: resume != nil)
            print(summary(report, resolved))
        } catch let error as SearchError where error.message == "interrupted" {
            printError("interrupted: the last checkpoint is in \(directory)/checkpoints; continue with dnalc \(command) \(file) --resume \(directory)")
            throw ExitCode(130)
        }
    }
}
