import DNALCore
import Foundation

/// What a run's `config.json` records: enough to resume and to reproduce.
public struct RunConfig: Codable, Sendable {
    public var network: String
    /// The network file the run was started with.
    public var file: String
    /// The data's description (`DataSplits.source`).
    public var data: String
    public var threads: Int
    /// The kernel path that ran (`KernelISA`).
    public var isa: String
    /// A search's settings (`dnalc search`). Runs of `dnalc train` written before training had
    /// settings of its own also keep theirs here, as a search with empty phases 1 and 2.
    public var settings: SearchSettings?
    /// A training run's settings (`dnalc train`).
    public var training: TrainSettings?
    /// The weights a `dnalc train --weights` run started from.
    public var weights: String?
    /// The network's and the data's fingerprints (`RunFingerprint`); absent in runs written
    /// before they were recorded, which then resume unchecked.
    public var networkFingerprint: String?
    public var dataFingerprint: String?
    /// The dnalc release that started the run (absent in runs from before it was recorded).
    public var dnalcVersion: String?
    /// The git commit that build came from (`DNALCVersion.commit`).
    public var dnalcCommit: String?
    /// An image folder's class names (label order) and image count per split.
    public var classNames: [String]?
    public var images: [String: Int]?
    /// How the PyTorch backend launches the run; nil for the native engine.
    public var torch: TorchSettings?

    public init(network: String, file: String, data: String, threads: Int, isa: String, recipe: RunRecipe, weights: String?) {
        self.network = network
        self.file = file
        self.data = data
        self.threads = threads
        self.isa = isa
        self.weights = weights
        dnalcVersion = DNALCVersion.string
        dnalcCommit = DNALCVersion.commit
        switch recipe {
        case .search(let s): settings = s
        case .train(let t): training = t
        }
    }

    /// The recipe recorded, or nil when the file names none.
    public var recipe: RunRecipe? {
        if let training { return .train(training) }
        guard let settings else { return nil }
        if settings.epochs[0] == 0 && settings.epochs[1] == 0 {
            // a training run recorded as a search with empty phases 1 and 2
            return .train(TrainSettings(fineTuningOf: settings))
        }
        return .search(settings)
    }
}

/// What a run trains: a DNAL search or plain training.
public enum RunRecipe: Sendable, Equatable {
    case search(SearchSettings)
    case train(TrainSettings)

    /// How many of the run's epochs follow `plan`'s (its phase's later epochs and, in a search,
    /// every epoch of the later phases).
    public func epochsAfter(_ plan: EpochPlan) -> Int {
        let laterPhases: Int
        switch self {
        case .search(let s): laterPhases = s.epochs.suffix(from: min(plan.phase, s.epochs.count)).reduce(0, +)
        case .train: laterPhases = 0
        }
        return plan.epochs - plan.epoch - 1 + laterPhases
    }

    /// The command that runs it.
    public var command: String {
        switch self {
        case .search: return "search"
        case .train: return "train"
        }
    }

    /// The trainer's settings.
    public var trainer: TrainerSettings {
        switch self {
        case .search(let s):
            return TrainerSettings(batch: s.batch, momentum: s.momentum, seed: s.seed, trainLimit: s.trainLimit, testLimit: s.testLimit,
                                   augment: s.augment, initialization: s.initialization, images: s.images)
        case .train(let t):
            return t.trainer
        }
    }
}
