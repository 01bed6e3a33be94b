/// A pointwise non-linearity.
public enum Activation: String, Hashable, Sendable, CaseIterable {
    /// max(x, 0)
    case relu
    /// min(max(x, 0), 6)
    case relu6
}
