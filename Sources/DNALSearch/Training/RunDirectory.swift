import DNALCore
import DNALData
import DNALKernels
import DNALRuntime
import Foundation

/// A run directory with everything it trains ready: a new one (nothing is written until the
/// network, the data and any starting weights are known to fit) or one being resumed with the
/// recipe its `config.json` records. `dnalc search` and `dnalc train` both open runs this way.
public final class RunDirectory {
    public let path: String
    public let recipe: RunRecipe
    public let trainer: Trainer
    public let schedule: TrainingSchedule
    /// Whether the run continues from a checkpoint (a run killed before its first one starts over).
    public let resuming: Bool
    /// The PyTorch backend's launch settings when the run trains there (config.json's), else nil.
    public let torch: TorchSettings?
    /// Held while this object lives (`RunLock`).
    private var lock: RunLock?

    /// Opens the run in `directory`. A new run takes `recipe()` (called only then) and, for
    /// training, may start from `weights` (whose normalisation it keeps); resuming takes the
    /// recorded recipe, which must be of `command`'s kind and of `graph`'s network.
    public init(graph: Graph, file: String, data: String?, directory: String, resume: Bool, threads: Int,
                command: String, weights: String? = nil, torch: TorchSettings? = nil, recipe: () throws -> RunRecipe) throws {
        path = directory
        var fromCheckpoint = resume
        let configPath = (directory as NSString).appendingPathComponent("config.json")
        var normalization: Normalization?
        var initial: (tensors: [String: SafeTensors.Tensor], source: String)?
        var saved: RunConfig?
        if resume {
            if FileManager.default.fileExists(atPath: configPath) {
                lock = try RunLock(directory)
                RunLock.removeStaleTemporaries(in: directory)
            }
            guard let bytes = FileManager.default.contents(atPath: configPath),
                  let decoded = try? JSONDecoder().decode(RunConfig.self, from: bytes), let recorded = decoded.recipe else {
                throw SearchError("'\(directory)' is not a dnalc run directory (no readable config.json)")
            }
            guard decoded.network == graph.name else { throw SearchError("'\(directory)' is a run of '\(decoded.network)', not '\(graph.name)'") }
            guard recorded.command == command else {
                throw SearchError("'\(directory)' is a run of dnalc \(recorded.command); continue it with dnalc \(recorded.command) --resume")
            }
            self.recipe = recorded
            saved = decoded
            // the interpreter is the machine's; the rest is the run's
            self.torch = decoded.torch.map { var t = $0; t.python = torch?.python ?? t.python; return t }
            // the normalisation the run has used so far, as its last checkpoint records it
            let last = (directory as NSString).appendingPathComponent("checkpoints/last.safetensors")
            if FileManager.default.fileExists(atPath: last) {
                if let file = try? SafeTensors.read(last) { normalization = try Normalization(metadata: file.metadata, source: last) }
            } else {
                // killed before its first epoch ended: start over with the recorded recipe and weights
                fromCheckpoint = false
                if let weights = decoded.weights {
                    let file = try SafeTensors.read(weights)
                    initial = (file.tensors, weights)
                    normalization = try Normalization(metadata: file.metadata, source: weights)
                }
            }
        } else {
            self.recipe = try recipe()
            self.torch = torch
            if FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("log.csv")) {
                throw SearchError("'\(directory)' already holds a run; continue it with --resume \(directory), or choose another --out")
            }
            if let weights {
                let file = try SafeTensors.read(weights)
                initial = (file.tensors, weights)
                normalization = try Normalization(metadata: file.metadata, source: weights)
            }
        }
        resuming = fromCheckpoint
        switch self.recipe {
        case .search(let s): schedule = try DNALSchedule(graph: graph, settings: s)
        case .train(let t): schedule = try FineTuneSchedule(graph: graph, settings: t)
        }
        let splits = try DatasetLoader.load(directory: data, images: self.recipe.trainer.images.options(for: graph.inputShape))
        if self.torch != nil && splits.train.folder != nil {
            throw SearchError("the PyTorch backend takes CIFAR-10, IDX files or the bundled data; an image folder trains on the native engine (leave out --engine torch)")
        }
        if let saved { try Self.check(resuming: saved, directory: directory, graph: graph, splits: splits, threads: threads, command: command) }
        trainer = try Trainer(graph: graph, data: splits, settings: self.recipe.trainer, directory: directory, threads: threads,
                              normalization: normalization, initialWeights: initial)
        if !resume {
            // only once the data, the network and the weights fit, so a refused run leaves nothing behind
            try Self.prepare(directory)
            lock = try RunLock(directory)
            if FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("log.csv")) {
                throw SearchError("'\(directory)' already holds a run; continue it with --resume \(directory), or choose another --out")
            }
            RunLock.removeStaleTemporaries(in: directory)
            var config = RunConfig(network: graph.name, file: file, data: splits.source, threads: threads,
                                   isa: KernelISA.current.rawValue, recipe: self.recipe, weights: weights)
            config.networkFingerprint = RunFingerprint.network(graph)
            config.dataFingerprint = RunFingerprint.data(splits)
            config.classNames = splits.classNames
            config.images = splits.train.folder.map { _ in ["train": splits.train.count, "test": splits.test.count] }
            config.torch = torch
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try writeAtomically([UInt8](try encoder.encode(config)), to: configPath)
            // the network file as it was, so the run stays readable when the file changes or moves
            if let source = FileManager.default.contents(atPath: file) {
                try writeAtomically([UInt8](source), to: (directory as NSString).appendingPathComponent("network.yaml"))
            }
        }
    }

    /// Refuses to resume with another network, other data or another thread count than the run
    /// was started with: each would silently mix two runs in one directory.
    static func check(resuming saved: RunConfig, directory: String, graph: Graph, splits: DataSplits, threads: Int,
                      command: String) throws {
        if let recorded = saved.networkFingerprint, recorded != RunFingerprint.network(graph) {
            throw SearchError("'\(directory)' was started from a different network than this '\(graph.name)' (its layers differ from \(saved.file) as it was then); resume it with the file it was started with, or start a new run")
        }
        guard saved.data == splits.source else {
            throw SearchError("'\(directory)' was trained on \(saved.data), not \(splits.source); resume it with the same --data")
        }
        if let recorded = saved.dataFingerprint, recorded != RunFingerprint.data(splits) {
            throw SearchError("the data in \(splits.source) changed since '\(directory)' was started; resume it with the data it was started with, or start a new run")
        }
        guard saved.threads == threads else {
            throw SearchError("'\(directory)' ran with --threads \(saved.threads); its results depend on the thread count (the order of sums), so resume it with --threads \(saved.threads)")
        }
    }

    /// Trains to the end (or continues to it) and returns the report the schedule writes.
    public func run() throws -> SearchReport { try trainer.run(schedule, resume: resuming) }

    /// Creates `path` (and its parents) and checks it is writable, before any work is done.
    public static func prepare(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            let reason = (error as NSError).userInfo[NSUnderlyingErrorKey].map { ($0 as? NSError)?.localizedDescription ?? "\($0)" }
            throw SearchError("cannot create the run directory '\(path)': \(reason ?? error.localizedDescription)")
        }
        guard FileManager.default.isWritableFile(atPath: path) else {
            throw SearchError("cannot write into the run directory '\(path)'")
        }
    }
}
