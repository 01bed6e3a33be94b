import ArgumentParser
import DNALCore
import DNALData
import DNALKernels
import DNALRuntime
import DNALSearch
import Foundation

/// Set by SIGINT; the run stops between batches and keeps its last checkpoint.
nonisolated(unsafe) private var interrupted = false

/// `dnalc search FILE`: a DNAL run on real data, written into a run directory.
struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run DNAL: train the weights, learn the channel gates with beta rising to 1e4, binarise them, fine-tune.",
        discussion: "Writes config.json, log.csv (one row per epoch), checkpoints/last and best, masks.json, final.safetensors and report.json into the run directory."
    )

    @Argument(help: "The network file (YAML, see Grammar.md); its gates define the search space.")
    var file: String

    @Option(help: "A directory of CIFAR-10 binary batches or MNIST-family IDX files (default: the bundled Fashion-MNIST subset).")
    var data: String?

    @Option(help: "The run directory (default: runs/NETWORK-YYYYMMDD-HHMMSS).")
    var out: String?

    @Option(help: ArgumentHelp("Continue the run in this directory from its last checkpoint.", valueName: "run-dir"))
    var resume: String?

    @Option(help: "Weight of the gate regulariser lambda * sum(sigmoid(alpha)).")
    var lambda: Double?

    @Option(help: ArgumentHelp("Epochs of phase 1, 2 and 3 (weights, gates, fine-tuning).", valueName: "e1,e2,e3"))
    var epochs: String?

    @Option(help: "Images per training step.")
    var batch: Int?

    @Option(help: ArgumentHelp("Learning rate of each phase (one value for all).", valueName: "lr1,lr2,lr3"))
    var lr: String?

    @Option(help: "Random seed (initialisation, shuffling, augmentation).")
    var seed: Int?

    @Option(help: "Worker threads (default: every core). Results are reproducible for a given thread count.")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .customLong("set"), help: ArgumentHelp("Any search setting, e.g. --set threshold=0.8 or --set train_limit=2000.", valueName: "key=value"))
    var settings: [String] = []

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if resume != nil && (lambda != nil || epochs != nil || batch != nil || lr != nil || seed != nil || !settings.isEmpty || out != nil) {
            throw ValidationError("--resume continues a run with the settings in its config.json; give no other settings")
        }
    }

    func run() throws {
        let graph = try loadNetwork(file)
        let directory = resume ?? out ?? "runs/\(graph.name)-\(timestamp())"
        let configPath = (directory as NSString).appendingPathComponent("config.json")
        var resolved: SearchSettings
        do {
            if resume != nil {
                guard let data = FileManager.default.contents(atPath: configPath),
                      let saved = try? JSONDecoder().decode(RunConfig.self, from: data) else {
                    throw SearchError("'\(directory)' is not a dnalc run directory (no readable config.json)")
                }
                guard saved.network == graph.name else { throw SearchError("'\(directory)' is a run of '\(saved.network)', not '\(graph.name)'") }
                resolved = saved.settings
            } else {
                resolved = try resolveSettings(graph)
                if FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("log.csv")) {
                    throw SearchError("'\(directory)' already holds a run; continue it with --resume \(directory), or choose another --out")
                }
            }
            let splits = try DatasetLoader.load(directory: data)
            let run = try SearchRun(graph: graph, data: splits, settings: resolved, directory: directory, threads: threads)
            if resume == nil {
                // only once the data and the network fit, so a refused run leaves nothing behind
                try SearchRun.prepareDirectory(directory)
                let config = RunConfig(network: graph.name, file: file, data: splits.source, threads: threads,
                                       isa: KernelISA.current.rawValue, settings: resolved)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try writeAtomically([UInt8](try encoder.encode(config)), to: configPath)
            }
            defer { fflush(nil) }
            print("dnalc search \(graph.name) on \(splits.source): lambda \(resolved.lambda), epochs \(resolved.epochs.map(String.init).joined(separator: "+")), batch \(resolved.batch), \(threads) threads, \(KernelISA.current.rawValue) kernels -> \(directory)")
            signal(SIGINT) { _ in interrupted = true }
            run.shouldStop = { interrupted }
            // flushed per line: piped into a log file, a run must still show its progress as it goes
            let terminal = isatty(STDOUT_FILENO) == 1
            var epochStart = Date()
            run.onEpoch = { record in
                if terminal { print("\r\u{1B}[K", terminator: "") }
                print(epochLine(record, settings: resolved))
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
                    print("\r\u{1B}[Kphase \(phase) \(k + 1)/\(resolved.epochs[phase - 1]) [\(bar)] \(Int(done * 100))%  \(fixed(eta, 1)) s left in the epoch (then evaluation)",
                          terminator: "")
                    fflush(nil)
                }
            }
            let report = try run.run(resume: resume != nil)
            print(summary(report))
        } catch let error as SearchError where error.message == "interrupted" {
            printError("interrupted: the last checkpoint is in \(directory)/checkpoints; continue with dnalc search \(file) --resume \(directory)")
            throw ExitCode(130)
        } catch let error as SearchError {
            printError("error: \(error.message)")
            throw ExitCode(1)
        } catch let error as DataError {
            printError("error: \(error.message)")
            throw ExitCode(1)
        } catch let error as RuntimeError {
            printError("error: \(error.message)")
            throw ExitCode(1)
        }
    }

    func resolveSettings(_ graph: Graph) throws -> SearchSettings {
        var s = SearchSettings(file: graph.search)
        if let lambda { try s.set("lambda", String(lambda)) }
        if let epochs { try s.set("epochs", epochs) }
        if let batch { try s.set("batch", String(batch)) }
        if let lr { try s.set("lr", lr) }
        if let seed { try s.set("seed", String(seed)) }
        for item in settings {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw SearchError("--set takes key=value, got '\(item)'") }
            try s.set(parts[0], parts[1])
        }
        return s
    }
}

/// What `config.json` records: enough to resume and to reproduce.
struct RunConfig: Codable {
    var network: String
    var file: String
    var data: String
    var threads: Int
    var isa: String
    var settings: SearchSettings
}

/// One line per epoch, with the live expected and hard cost of the network being learned.
func epochLine(_ r: EpochRecord, settings: SearchSettings) -> String {
    let phase = ["weights", "gates", "fine-tune"][r.phase - 1]
    var line = "phase \(r.phase) \(phase) \(r.epoch)/\(settings.epochs[r.phase - 1])"
    if r.phase == 2 { line += "  beta \(fixed(r.beta, r.beta < 10 ? 2 : 0))" }
    line += "  loss \(fixed(r.loss, 4))  top1 \(fixed(r.test.top1, 2))%  top5 \(fixed(r.test.top5, 2))%"
    line += "  gates \(r.openGates)/\(r.gates)"
    if r.phase >= 2 { line += "  FLOPs \(human(r.expectedFLOPs)) expected, \(human(r.hardFLOPs)) hard" }
    return line + "  \(fixed(r.seconds, 1)) s"
}

func summary(_ r: SearchReport) -> String {
    var s = "\nbaseline  \(human(r.baseline.flops)) FLOPs  \(human(r.baseline.params)) params"
    if let t = r.baseline.top1 { s += "  top1 \(fixed(t, 2))%" }
    s += "\npruned    \(human(r.pruned.flops)) FLOPs (\(fixed(r.flopsRatio, 2))x)  \(human(r.pruned.params)) params (\(fixed(r.paramsRatio, 2))x)"
    if let t = r.pruned.top1 { s += "  top1 \(fixed(t, 2))%" }
    s += "\nkept \(r.keptGates) of \(r.gates) gate channels; \(fixed(r.seconds, 1)) s"
    if let p = r.prunedNetwork { s += "\nthe compact network: \(p) and pruned.safetensors in the run directory" }
    if let note = r.prunedNetworkNote { s += "\nno pruned.yaml: \(note)" }
    return s
}

/// Local time as YYYYMMDD-HHMMSS, for default run directory names.
func timestamp() -> String {
    let f = DateFormatter()
    f.dateFormat = "yyyyMMdd-HHmmss"
    f.locale = Locale(identifier: "en_US_POSIX")
    return f.string(from: Date())
}
