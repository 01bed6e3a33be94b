import DNALCore

/// Every setting of `dnalc train`: plain training with hard gates, the recipe of a search's
/// phase 3 (SGD with momentum, cosine-annealed rate, weight decay), resolved from the network
/// file's `search:` section, then the command line.
public struct TrainSettings: Codable, Equatable, Sendable {
    public var epochs: Int
    public var batch: Int
    public var learningRate: Double
    public var momentum: Double
    public var weightDecay: Double
    public var seed: Int
    /// Use only the first N training / test images; nil for all.
    public var trainLimit: Int?
    public var testLimit: Int?

    /// Keys `--set key=value` accepts for training.
    public static let keys = ["batch", "lr", "momentum", "weight_decay", "seed", "train_limit", "test_limit"]
    /// Search keys that mean nothing without gates being learned.
    public static let searchOnlyKeys = ["epochs", "lambda", "threshold", "beta_final"]

    /// The phase-3 recipe of `search` (a network file's `search:` section over dnalc's defaults).
    public init(fineTuningOf search: SearchSettings) {
        epochs = search.epochs[2]
        batch = search.batch
        learningRate = search.learningRates[2]
        momentum = search.momentum
        weightDecay = search.weightDecay[2]
        seed = search.seed
        trainLimit = search.trainLimit
        testLimit = search.testLimit
    }

    /// What the trainer itself needs.
    public var trainer: TrainerSettings {
        TrainerSettings(batch: batch, momentum: momentum, seed: seed, trainLimit: trainLimit, testLimit: testLimit)
    }

    /// Applies `key=value`.
    public mutating func set(_ key: String, _ value: String) throws(SearchError) {
        switch key {
        case "batch": batch = try SettingValue.integer(key, value, min: 1)
        case "lr": learningRate = try SettingValue.number(key, value)
        case "momentum": momentum = try SettingValue.number(key, value)
        case "weight_decay": weightDecay = try SettingValue.number(key, value)
        case "seed": seed = try SettingValue.integer(key, value, min: 0)
        case "train_limit": trainLimit = try SettingValue.integer(key, value, min: 1)
        case "test_limit": testLimit = try SettingValue.integer(key, value, min: 1)
        case _ where Self.searchOnlyKeys.contains(key):
            throw SearchError("'\(key)' is a search setting; dnalc train takes --epochs and no gate settings")
        default:
            throw SettingValue.unknown(key, among: Self.keys)
        }
        try validate()
    }

    /// Ranges every setting must respect.
    public func validate() throws(SearchError) {
        guard epochs >= 1 else { throw SearchError("epochs must be at least 1, got \(epochs)") }
        guard learningRate > 0 && learningRate <= 10 else { throw SearchError("lr must be in (0, 10], got \(learningRate)") }
        guard weightDecay >= 0 && weightDecay < 1 else { throw SearchError("weight_decay must be in [0, 1), got \(weightDecay)") }
        guard momentum >= 0 && momentum < 1 else { throw SearchError("momentum must be in [0, 1), got \(momentum)") }
    }
}
