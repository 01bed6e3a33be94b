import ArgumentParser
import DNALCore
import DNALKernels
import DNALSearch
import Foundation

/// `dnalc train FILE [--weights W]`: trains a network (typically a pruned one) from scratch or
/// fine-tunes it from weights, in a run directory like the search's.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a network from scratch, or fine-tune it from weights (e.g. a pruned network's).",
        discussion: """
            The search's phase-3 recipe: SGD with momentum, cosine-annealed learning rate, standard augmentation; \
            gated networks train with their hard gates (the weights' masks). Writes config.json, log.csv, \
            checkpoints/last and best, final.safetensors, masks.json, report.json and report.html into the run directory; \
            --resume continues it. \
            Fine-tuned weights keep the input normalisation they were trained with.
            """
    )

    @Argument(help: "The network file (YAML), e.g. a pruned.yaml.")
    var file: String

    @Option(help: "Weights to start from (safetensors), e.g. pruned.safetensors; default: a fresh seeded initialisation.")
    var weights: String?

    @OptionGroup var dataSet: DataOption

    @OptionGroup var runDirectory: RunDirectoryOptions

    @Option(help: "Training epochs (default: the search's phase-3 count).")
    var epochs: Int?

    @Option(help: "Initial learning rate (default: the search's phase-3 rate).")
    var lr: Double?

    @OptionGroup var recipe: RecipeOptions

    @OptionGroup var workers: ThreadsOption

    @Option(name: .customLong("set"), help: ArgumentHelp("momentum, weight_decay, train_limit, test_limit, ... as for dnalc search.", valueName: "key=value"))
    var settings: [String] = []

    func validate() throws {
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        if runDirectory.resume != nil && (weights != nil || epochs != nil || recipe.batch != nil || lr != nil || recipe.seed != nil
                                          || !settings.isEmpty || runDirectory.out != nil) {
            throw ValidationError("--resume continues a run with the settings in its config.json; give no other settings")
        }
    }

    func run() throws {
        let graph = try loadNetwork(file)
        let out = runDirectory.out ?? (runDirectory.resume == nil ? "runs/\(graph.name)-train-\(timestamp())" : nil)
        var driver = RunDriver(command: "train", graph: graph, file: file, data: dataSet.data, out: out, resume: runDirectory.resume,
                               threads: workers.threads)
        driver.weights = weights
        driver.quiet = runDirectory.quiet
        try driver.run(
            recipe: { .train(try resolveSettings(graph)) },
            header: { recipe, source, directory, _ in
                guard case .train(let t) = recipe else { return "" }
                return "dnalc train \(graph.name)\(weights.map { " from \($0)" } ?? "") on \(source): \(t.epochs) epochs, lr \(t.learningRate), batch \(t.batch), \(workers.threads) threads, \(KernelISA.current.rawValue) kernels -> \(directory)"
            },
            epochLine: { record, recipe in
                guard case .train(let t) = recipe else { return "" }
                return trainingLine(record, epochs: t.epochs)
            },
            summary: { report, _ in
                var line = "\n\(graph.name)  \(human(report.pruned.flops)) FLOPs  \(human(report.pruned.params)) params"
                if let t = report.pruned.top1 { line += "  top1 \(fixed(t, 2))%" }
                if let best = report.bestTop1 { line += " (best \(fixed(best, 2))%, checkpoints/best.safetensors)" }
                return line + "\nweights: final.safetensors in the run directory; \(fixed(report.seconds, 1)) s"
            })
    }

    /// The network file's fine-tuning recipe (its search's phase 3), then the command line.
    func resolveSettings(_ graph: Graph) throws -> TrainSettings {
        var t = TrainSettings(fineTuningOf: SearchSettings(file: graph.search))
        if let epochs { t.epochs = epochs }
        if let batch = recipe.batch { try t.set("batch", String(batch)) }
        if let lr { try t.set("lr", String(lr)) }
        if let seed = recipe.seed { try t.set("seed", String(seed)) }
        for item in settings {
            let (key, value) = try settingAssignment(item)
            try t.set(key, value)
        }
        try t.validate()
        return t
    }
}

/// One line per training epoch.
func trainingLine(_ r: EpochRecord, epochs: Int) -> String {
    "epoch \(r.epoch)/\(epochs)  loss \(fixed(r.loss, 4))\(r.learningRate.map { "  lr \(String(format: "%.3g", $0))" } ?? "")  top1 \(fixed(r.test.top1, 2))%  top5 \(fixed(r.test.top5, 2))%  \(fixed(r.seconds, 1)) s"
}
