/// Batch normalisation over channels (feature maps) or features (vectors), with affine γ/β.
public struct BatchNorm: Hashable, Sendable {
    /// Added to the variance before the square root.
    public var epsilon: Double
    /// Running-statistics update factor (PyTorch's convention: new = (1-m)·old + m·batch).
    public var momentum: Double

    public init(epsilon: Double = 1e-5, momentum: Double = 0.1) {
        self.epsilon = epsilon
        self.momentum = momentum
    }
}
