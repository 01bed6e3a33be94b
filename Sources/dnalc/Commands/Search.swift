import ArgumentParser
import DNALCore
import DNALData
import DNALKernels
import DNALRuntime
import DNALSearch
import Foundation

/// `dnalc search FILE`: a DNAL run on real data, written into a run directory.
struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run DNAL: train the weights, learn the channel gates with beta rising to 1e4, binarise them, fine-tune.",
        discussion: "Writes into the run directory: config.json (the settings, to resume and reproduce), network.yaml (a copy of the network file), log.csv (one row per epoch), checkpoints/last.safetensors and best.safetensors, masks.json, final.safetensors (the hard-gated network's weights), pruned.yaml and pruned.safetensors (the compact network), report.json and report.html (the outcome, with charts). Settings not given take the network file's search: section, else dnalc's defaults (Grammar.md section 9)."
    )

    @Argument(help: "The network file (YAML, see Grammar.md); its gates define the search space.")
    var file: String

    @OptionGroup var dataSet: DataOption

    @OptionGroup var runDirectory: RunDirectoryOptions

    @Option(help: "Weight of the gate regulariser lambda * sum(sigmoid(alpha)) (default: the network file's search: section, else 1e-4). With a budget, where lambda starts.")
    var lambda: Double?

    @Option(name: .customLong("target-flops"), help: ArgumentHelp("Search to a FLOPs budget instead of a fixed lambda: a count (2.5M, 2500000), a reduction (3x) or a fraction of the full network (33%). Costs are the dnal convention's, as report.json gives them.", valueName: "budget"))
    var targetFLOPs: String?

    @Option(name: .customLong("target-params"), help: ArgumentHelp("Search to a parameter budget instead (as --target-flops).", valueName: "budget"))
    var targetParams: String?

    @Option(help: ArgumentHelp("Epochs of phase 1, 2 and 3 (weights, gates, fine-tuning) (default: the network file's search: section, else 10,10,10).", valueName: "e1,e2,e3"))
    var epochs: String?

    @Option(help: ArgumentHelp("Learning rate of each phase, or one value for all (default: the network file's search: section, else 0.05,0.01,0.01).", valueName: "lr1,lr2,lr3"))
    var lr: String?

    @OptionGroup var recipe: RecipeOptions

    @OptionGroup var workers: ThreadsOption

    @OptionGroup(title: "PyTorch backend") var engine: EngineOptions

    @Option(name: .customLong("set"), help: ArgumentHelp("Any search setting, e.g. --set threshold=0.8 or --set train_limit=2000.", valueName: "key=value"))
    var settings: [String] = []

    func validate() throws {
        if targetFLOPs != nil && targetParams != nil {
            throw ValidationError("give one budget: --target-flops or --target-params, not both")
        }
        let setsLambda = settings.contains { $0.hasPrefix("lambda=") }
        let setsTarget = settings.contains { $0.hasPrefix("target_flops=") || $0.hasPrefix("target_params=") }
        if (lambda != nil || setsLambda) && (targetFLOPs != nil || targetParams != nil || setsTarget) {
            throw ValidationError("give either --lambda or a budget (--target-flops, --target-params), not both: a budget search steers lambda itself")
        }
        if runDirectory.resume != nil && (lambda != nil || targetFLOPs != nil || targetParams != nil || epochs != nil || recipe.batch != nil || lr != nil || recipe.seed != nil
                                          || !settings.isEmpty || runDirectory.out != nil) {
            throw ValidationError("--resume continues a run with the settings in its config.json; give no other settings")
        }
        if runDirectory.resume != nil {
            if engine.engine != .native || engine.nproc != nil || engine.device != nil || engine.nnodes != nil || engine.rendezvous != nil {
                throw ValidationError("--resume continues a run on the engine its config.json records; only --python and --launch may change")
            }
        } else if engine.engine == .native && (engine.givesTorchOptions || engine.python != nil) {
            throw ValidationError("--nproc, --device, --python, --launch, --nnodes and --rdzv-endpoint need --engine torch")
        }
    }

    func run() throws {
        let graph = try loadNetwork(file)
        var driver = RunDriver(command: "search", graph: graph, file: file, data: dataSet.data, out: runDirectory.out,
                               resume: runDirectory.resume, threads: workers.threads)
        driver.torch = engine.settings ?? engine.python.map { TorchSettings(python: $0) }
        driver.launch = engine.launch == .auto
        driver.quiet = runDirectory.quiet
        try driver.run(
            recipe: {
                let settings = try resolveSettings(graph)
                if let torch = engine.settings {
                    // before the directory exists: a torch run that cannot start leaves nothing behind
                    try TorchSearch.check(settings, on: torch)
                    if engine.launch == .auto { try TorchLauncher.probe(torch) }
                }
                return .search(settings)
            },
            header: { recipe, source, directory, torch in
                guard case .search(let s) = recipe else { return "" }
                let steering = s.target.map { "\($0) from lambda \(s.lambda)" } ?? "lambda \(s.lambda)"
                let engine = torch.map { "PyTorch backend, \($0.worldSize) process\($0.worldSize == 1 ? "" : "es") on \($0.device)" }
                    ?? "\(workers.threads) threads, \(KernelISA.current.rawValue) kernels"
                return "dnalc search \(graph.name) on \(source): \(steering), epochs \(s.epochs.map(String.init).joined(separator: "+")), batch \(s.batch), \(engine) -> \(directory)"
            },
            epochLine: { record, recipe in
                guard case .search(let s) = recipe else { return "" }
                return epochLine(record, settings: s)
            },
            summary: { report, _ in summary(report) })
    }

    func resolveSettings(_ graph: Graph) throws -> SearchSettings {
        var s = SearchSettings(file: graph.search)
        if let lambda {
            // an explicit lambda searches with it, whatever budget the file names
            try s.set("lambda", String(lambda))
            s.target = nil
        }
        if let targetFLOPs { try s.set("target_flops", targetFLOPs) }
        if let targetParams { try s.set("target_params", targetParams) }
        if let epochs { try s.set("epochs", epochs) }
        if let batch = recipe.batch { try s.set("batch", String(batch)) }
        if let lr { try s.set("lr", lr) }
        if let seed = recipe.seed { try s.set("seed", String(seed)) }
        for item in settings {
            let (key, value) = try settingAssignment(item)
            try s.set(key, value)
        }
        return s
    }
}

/// A `--set key=value` item split into its key and value.
func settingAssignment(_ item: String) throws -> (String, String) {
    let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
    guard parts.count == 2 else { throw SearchError("--set takes key=value, got '\(item)'") }
    return (parts[0], parts[1])
}

/// One line per epoch, with the live expected and hard cost of the network being learned.
func epochLine(_ r: EpochRecord, settings: SearchSettings) -> String {
    let phase = ["weights", "gates", "fine-tune"][r.phase - 1]
    var line = "phase \(r.phase) \(phase) \(r.epoch)/\(settings.epochs[r.phase - 1])"
    if r.phase == 2 { line += "  beta \(fixed(r.beta, r.beta < 10 ? 2 : 0))" }
    if r.phase == 2, let lambda = r.lambda, settings.target != nil { line += "  lambda \(String(format: "%.3g", lambda))" }
    if let ce = r.crossEntropy, let reg = r.regulariser, r.phase == 2 {
        // phase 2 minimises the sum; the regulariser alone grows as beta sharpens the gates
        line += "  cross-entropy \(fixed(ce, 4))  regulariser \(fixed(reg, 4))"
    } else {
        line += "  loss \(fixed(r.loss, 4))"
    }
    if let lr = r.learningRate { line += "  lr \(String(format: "%.3g", lr))" }
    line += "  top1 \(fixed(r.test.top1, 2))%  top5 \(fixed(r.test.top5, 2))%"
    line += "  gates \(r.openGates)/\(r.gates)"
    if r.phase >= 2 { line += "  FLOPs \(human(r.expectedFLOPs)) expected, \(human(r.hardFLOPs)) hard" }
    return line + "  \(fixed(r.seconds, 1)) s"
}

func summary(_ r: SearchReport) -> String {
    var s = "\nbaseline  \(human(r.baseline.flops)) FLOPs  \(human(r.baseline.params)) params"
    if let t = r.baseline.top1 { s += "  top1 \(fixed(t, 2))%" }
    s += "\npruned    \(human(r.pruned.flops)) FLOPs (\(fixed(r.flopsRatio, 2))x)  \(human(r.pruned.params)) params (\(fixed(r.paramsRatio, 2))x)"
    if let t = r.pruned.top1 { s += "  top1 \(fixed(t, 2))%" }
    if r.referenceDiffers, let ref = r.reference, let ratio = r.referenceFLOPsRatio {
        // a gate closed entirely: the paper's counter still counts the convs in front of it
        s += "\nreference \(human(ref.flops)) FLOPs (\(fixed(ratio, 2))x)  \(human(ref.params)) params"
        s += "  (the reference counter: a gate closed entirely, and it still counts the convs in front of it)"
    }
    s += "\nkept \(r.keptGates) of \(r.gates) gate channels; \(fixed(r.seconds, 1)) s"
    if let b = r.backend {
        s += "\ntrained on \(b.description)"
    }
    if let b = r.budget {
        let unit = b.metric == "flops" ? "FLOPs" : "params"
        s += "\nbudget    \(b.target) = \(human(Int(b.budget.rounded()))) \(unit): reached \(human(b.achieved)) (\(String(format: "%+.1f%%", b.error * 100))), lambda \(String(format: "%.3g", b.startLambda)) -> \(String(format: "%.3g", b.finalLambda))"
        if let a = b.adjustment {
            s += "; phase 2 ended at \(human(a.costBefore)), so the final adjustment \(a.closed > 0 ? "closed \(a.closed)" : "reopened \(a.reopened)") gate channels"
        }
    }
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
