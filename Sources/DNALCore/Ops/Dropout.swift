/// Inverted dropout: zeroes each element with probability `p` in training, identity in inference.
public struct Dropout: Hashable, Sendable {
    /// Drop probability in [0, 1).
    public var probability: Double

    public init(probability: Double) {
        self.probability = probability
    }
}
