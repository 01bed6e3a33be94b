import DNALCore
import DNALSyntax

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
    /// How an image folder is read (crop scale, unreadable images).
    public var images = ImageReading()
    /// Training augmentation, and how weights that are not loaded start (a network trained from scratch).
    public var augment = AugmentChoice.auto
    public var initialization = WeightInitialization.reference

    /// Keys `--set key=value` accepts for training.
    public static let keys = ["batch", "lr", "momentum", "weight_decay", "seed", "train_limit", "test_limit", "augment", "init"] + ImageReading.keys
    /// Search keys that mean nothing without gates being learned (every `search:` key training
    /// does not take; `epochs` is --epochs here).
    public static let searchOnlyKeys = Schema.searchKeys.filter { !keys.contains($0) }

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
        images = search.images
        augment = search.augment
        initialization = search.initialization
    }

    /// What the trainer itself needs.
    public var trainer: TrainerSettings {
        TrainerSettings(batch: batch, momentum: momentum, seed: seed, trainLimit: trainLimit, testLimit: testLimit,
                        augment: augment, initialization: initialization, images: images)
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
        case _ where ImageReading.keys.contains(key): try images.set(key, value)
        case "augment": augment = try SettingValue.choice(key, value, AugmentChoice.self)
        case "init": initialization = try SettingValue.choice(key, value, WeightInitialization.self)
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

extension TrainSettings {
    /// Reads config.json; `augment` and `init`, which runs written before they existed lack, take
    /// their defaults (what those runs did), so older runs still resume.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epochs = try c.decode(Int.self, forKey: .epochs)
        batch = try c.decode(Int.self, forKey: .batch)
        learningRate = try c.decode(Double.self, forKey: .learningRate)
        momentum = try c.decode(Double.self, forKey: .momentum)
        weightDecay = try c.decode(Double.self, forKey: .weightDecay)
        seed = try c.decode(Int.self, forKey: .seed)
        trainLimit = try c.decodeIfPresent(Int.self, forKey: .trainLimit)
        testLimit = try c.decodeIfPresent(Int.self, forKey: .testLimit)
        images = try c.decodeIfPresent(ImageReading.self, forKey: .images) ?? ImageReading()
        augment = try c.decodeIfPresent(AugmentChoice.self, forKey: .augment) ?? .auto
        initialization = try c.decodeIfPresent(WeightInitialization.self, forKey: .initialization) ?? .reference
    }
}
