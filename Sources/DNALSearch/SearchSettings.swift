import Foundation
import DNALCore
import DNALSyntax

/// Every setting of a DNAL run, resolved from dnalc's defaults (the reference code's where it has
/// one), the network file's `search:` section, then the command line, in that order.
public struct SearchSettings: Codable, Equatable, Sendable {
    /// Weight of the gate regulariser lambda * sum(sigmoid(alpha)).
    public var lambda = 1e-4
    /// Epochs of phase 1 (weights), phase 2 (gates), phase 3 (fine-tuning).
    public var epochs = [10, 10, 10]
    public var batch = 64
    /// Base learning rate of each phase.
    public var learningRates = [0.05, 0.01, 0.01]
    /// How each phase's rate moves: by default cosine-annealed to 0 over phases 1 and 3 and
    /// constant in phase 2 (the network files of the paper's networks carry the reference's).
    public var learningRateSchedules: [LearningRateSchedule] = [.cosine, .constant, .cosine]
    /// How beta rises over phase 2: per epoch, as the reference does, by default.
    public var betaSchedule = BetaSchedule.epoch
    /// Training augmentation (`auto`: what suits the data set).
    public var augment = AugmentChoice.auto
    /// How the weights start (the reference's initialisation by default).
    public var initialization = WeightInitialization.reference
    public var momentum = 0.9
    /// Weight decay of each phase (the reference uses none in phase 2).
    public var weightDecay = [1e-4, 0, 1e-4]
    /// Keep channel c iff sigmoid(betaFinal * alpha_c) > threshold.
    public var threshold = 0.9
    public var betaFinal = 1e4
    public var seed = 0
    /// A cost budget: phase 2 then steers lambda to meet it (`LambdaController`), starting from
    /// `lambda`; nil searches with the fixed `lambda`.
    public var target: CostTarget?
    /// How far (relative) the pruned network's cost may end from the budget before the final
    /// adjustment moves channels.
    public var targetTolerance = 0.03
    /// The controller's gain and its largest change of ln(lambda) per step.
    public var targetGain = 1.0
    public var targetRate = 0.05
    /// Use only the first N training / test images (quick runs); nil for all.
    public var trainLimit: Int?
    public var testLimit: Int?
    /// How an image folder is read (crop scale, unreadable images).
    public var images = ImageReading()

    public init() {}

    /// Keys `--set key=value` accepts: the `search:` keys (`Schema.searchKeys`) plus the subset
    /// limits, which belong to a run rather than to a network.
    public static let keys = Schema.searchKeys + ["train_limit", "test_limit"] + ImageReading.keys

    /// Defaults, then the file's `search:` section.
    public init(file: SearchConfig) {
        if let v = file.lambda { lambda = v }
        if let v = file.epochs { epochs = v }
        if let v = file.batch { batch = v }
        if let v = file.learningRates { learningRates = v }
        if let v = file.momentum { momentum = v }
        if let v = file.weightDecay { weightDecay = v }
        if let v = file.threshold { threshold = v }
        if let v = file.betaFinal { betaFinal = v }
        if let v = file.seed { seed = v }
        if let v = file.target { target = v }
        if let v = file.targetTolerance { targetTolerance = v }
        if let v = file.targetGain { targetGain = v }
        if let v = file.targetRate { targetRate = v }
        if let v = file.learningRateSchedules { learningRateSchedules = v }
        if let v = file.betaSchedule { betaSchedule = v }
        if let v = file.augment { augment = v }
        if let v = file.initialization { initialization = v }
    }

    /// Applies `key=value` (lists as `a,b,c`, or one value for all three phases).
    public mutating func set(_ key: String, _ value: String) throws(SearchError) {
        func number(_ s: String) throws(SearchError) -> Double { try SettingValue.number(key, s) }
        func integer(_ s: String, min: Int) throws(SearchError) -> Int { try SettingValue.integer(key, s, min: min) }
        func phases<T>(_ parse: (String) throws(SearchError) -> T) throws(SearchError) -> [T] {
            let parts = value.split(separator: ",").map(String.init)
            guard parts.count == 1 || parts.count == 3 else {
                throw SearchError("'\(key)' takes one value or three (phase 1, 2, 3), got \(parts.count)")
            }
            var out: [T] = []
            for p in parts { out.append(try parse(p)) }
            return out.count == 1 ? [out[0], out[0], out[0]] : out
        }
        switch key {
        case "lambda": lambda = try number(value)
        case "epochs": epochs = try phases { (s) throws(SearchError) in try integer(s, min: 0) }
        case "batch": batch = try integer(value, min: 1)
        case "lr": learningRates = try phases { (s) throws(SearchError) in try number(s) }
        case "momentum": momentum = try number(value)
        case "weight_decay": weightDecay = try phases { (s) throws(SearchError) in try number(s) }
        case "threshold": threshold = try number(value)
        case "beta_final": betaFinal = try number(value)
        case "seed": seed = try integer(value, min: 0)
        case "target_flops", "target_params":
            do {
                target = try CostTarget(key == "target_flops" ? .flops : .params, parsing: value)
            } catch {
                throw SearchError(error.description)
            }
        case "target_tolerance": targetTolerance = try number(value)
        case "target_gain": targetGain = try number(value)
        case "target_rate": targetRate = try number(value)
        case "lr_schedule":
            learningRateSchedules = try phases { (s) throws(SearchError) in
                do throws(ScheduleSyntaxError) { return try LearningRateSchedule(parsing: s) } catch { throw SearchError(error.message) }
            }
        case "beta_schedule": betaSchedule = try SettingValue.choice(key, value, BetaSchedule.self)
        case "augment": augment = try SettingValue.choice(key, value, AugmentChoice.self)
        case "init": initialization = try SettingValue.choice(key, value, WeightInitialization.self)
        case "train_limit": trainLimit = try integer(value, min: 1)
        case "test_limit": testLimit = try integer(value, min: 1)
        case _ where ImageReading.keys.contains(key): try images.set(key, value)
        default:
            throw SettingValue.unknown(key, among: Self.keys)
        }
        try validate()
    }

    /// Ranges every setting must respect.
    public func validate() throws(SearchError) {
        guard lambda >= 0 else { throw SearchError("lambda must not be negative, got \(lambda)") }
        guard epochs.count == 3, epochs.allSatisfy({ $0 >= 0 }), epochs.reduce(0, +) > 0 else {
            throw SearchError("epochs must be three counts (phase 1, 2, 3), not all zero, got \(epochs)")
        }
        guard learningRates.count == 3, learningRates.allSatisfy({ $0 > 0 && $0 <= 10 }) else {
            throw SearchError("lr must be three rates in (0, 10], got \(learningRates)")
        }
        guard weightDecay.count == 3, weightDecay.allSatisfy({ $0 >= 0 && $0 < 1 }) else {
            throw SearchError("weight_decay must be three values in [0, 1), got \(weightDecay)")
        }
        guard learningRateSchedules.count == 3 else {
            throw SearchError("lr_schedule must be three schedules (phase 1, 2, 3), got \(learningRateSchedules.count)")
        }
        guard momentum >= 0 && momentum < 1 else { throw SearchError("momentum must be in [0, 1), got \(momentum)") }
        guard threshold > 0 && threshold < 1 else { throw SearchError("threshold must be in (0, 1), got \(threshold)") }
        guard betaFinal >= 1 else { throw SearchError("beta_final must be at least 1, got \(betaFinal)") }
        guard targetTolerance >= 0.001 && targetTolerance <= 0.5 else {
            throw SearchError("target_tolerance must be in [0.001, 0.5], got \(targetTolerance)")
        }
        guard targetGain >= 0.01 && targetGain <= 100 else { throw SearchError("target_gain must be in [0.01, 100], got \(targetGain)") }
        guard targetRate >= 0.001 && targetRate <= 1 else { throw SearchError("target_rate must be in [0.001, 1], got \(targetRate)") }
        if target != nil && lambda <= 0 {
            throw SearchError("a budget search steers lambda from its starting value, which must be above 0, got \(lambda)")
        }
    }

    /// Beta during phase-2 epoch k (0-based) of `epochs[1]` (`Gate.beta`); under the `step`
    /// schedule, the value the epoch ends at.
    public func beta(phase2Epoch k: Int) -> Double {
        Gate.beta(epoch: k, of: epochs[1], betaFinal: betaFinal)
    }
}

/// Why a search could not run or stopped.
public struct SearchError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension SearchSettings {
    /// Reads config.json and report.json settings; keys a file written before they existed lacks
    /// (the budget's) take their defaults, so older runs still resume.
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        lambda = try c.decode(Double.self, forKey: .lambda)
        epochs = try c.decode([Int].self, forKey: .epochs)
        batch = try c.decode(Int.self, forKey: .batch)
        learningRates = try c.decode([Double].self, forKey: .learningRates)
        momentum = try c.decode(Double.self, forKey: .momentum)
        weightDecay = try c.decode([Double].self, forKey: .weightDecay)
        threshold = try c.decode(Double.self, forKey: .threshold)
        betaFinal = try c.decode(Double.self, forKey: .betaFinal)
        seed = try c.decode(Int.self, forKey: .seed)
        target = try c.decodeIfPresent(CostTarget.self, forKey: .target)
        targetTolerance = try c.decodeIfPresent(Double.self, forKey: .targetTolerance) ?? targetTolerance
        targetGain = try c.decodeIfPresent(Double.self, forKey: .targetGain) ?? targetGain
        targetRate = try c.decodeIfPresent(Double.self, forKey: .targetRate) ?? targetRate
        trainLimit = try c.decodeIfPresent(Int.self, forKey: .trainLimit)
        testLimit = try c.decodeIfPresent(Int.self, forKey: .testLimit)
        images = try c.decodeIfPresent(ImageReading.self, forKey: .images) ?? images
        learningRateSchedules = try c.decodeIfPresent([LearningRateSchedule].self, forKey: .learningRateSchedules) ?? learningRateSchedules
        betaSchedule = try c.decodeIfPresent(BetaSchedule.self, forKey: .betaSchedule) ?? betaSchedule
        augment = try c.decodeIfPresent(AugmentChoice.self, forKey: .augment) ?? augment
        initialization = try c.decodeIfPresent(WeightInitialization.self, forKey: .initialization) ?? initialization
    }
}
