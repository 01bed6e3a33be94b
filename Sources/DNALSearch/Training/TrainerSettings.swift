import DNALCore

/// What the trainer needs whatever the schedule: batch size, optimiser momentum, the seed, and
/// the optional subset limits.
public struct TrainerSettings: Sendable, Equatable {
    public var batch: Int
    public var momentum: Double
    public var seed: Int
    /// Use only the first N training / test images; nil for all.
    public var trainLimit: Int?
    public var testLimit: Int?
    /// Training augmentation, and how weights that are not loaded start.
    public var augment: AugmentChoice
    public var initialization: WeightInitialization
    /// How an image folder is read.
    public var images: ImageReading

    public init(batch: Int, momentum: Double, seed: Int, trainLimit: Int? = nil, testLimit: Int? = nil,
                augment: AugmentChoice = .auto, initialization: WeightInitialization = .reference, images: ImageReading = ImageReading()) {
        self.images = images
        self.batch = batch
        self.momentum = momentum
        self.seed = seed
        self.trainLimit = trainLimit
        self.testLimit = testLimit
        self.augment = augment
        self.initialization = initialization
    }
}
