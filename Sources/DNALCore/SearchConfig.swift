/// The DNAL settings a network file asks for (its `search:` section). Absent values mean
/// "use dnalc's default", which the search applies; they are kept absent here so that emitting a
/// network writes back only what its author wrote.
public struct SearchConfig: Hashable, Sendable {
    /// Weight of the gate regulariser, lambda * sum(sigmoid(alpha)).
    public var lambda: Double?
    /// Epochs of phase 1 (weights), phase 2 (gates), phase 3 (fine-tune).
    public var epochs: [Int]?
    /// Mini-batch size.
    public var batch: Int?
    /// Learning rate of each phase.
    public var learningRates: [Double]?
    /// SGD momentum.
    public var momentum: Double?
    /// Weight decay of each phase (the reference uses none in phase 2).
    public var weightDecay: [Double]?
    /// Keep a channel iff sigmoid(beta_final * alpha) exceeds this.
    public var threshold: Double?
    /// Beta reached at the end of phase 2 (the reference: 1e4).
    public var betaFinal: Double?
    /// Random seed.
    public var seed: Int?
    /// A FLOPs or params budget the search aims at instead of a fixed lambda (`CostTarget`).
    public var target: CostTarget?
    /// How far (relative) the pruned network's cost may end from the budget.
    public var targetTolerance: Double?
    /// The lambda controller's gain and its largest change of ln(lambda) per step.
    public var targetGain: Double?
    public var targetRate: Double?
    /// How each phase's learning rate moves (`LearningRateSchedule`).
    public var learningRateSchedules: [LearningRateSchedule]?
    /// How beta rises over phase 2.
    public var betaSchedule: BetaSchedule?
    /// Training augmentation.
    public var augment: AugmentChoice?
    /// How weights that are not loaded start.
    public var initialization: WeightInitialization?

    public init() {}

    /// True when no key was given.
    public var isEmpty: Bool { self == SearchConfig() }
}
