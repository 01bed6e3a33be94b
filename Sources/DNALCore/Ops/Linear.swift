/// A fully connected layer; a `[C,H,W]` input is flattened in C, H, W order.
public struct Linear: Hashable, Sendable {
    /// Output features.
    public var outFeatures: Int
    /// Whether the layer has a bias vector.
    public var bias: Bool

    public init(outFeatures: Int, bias: Bool = true) {
        self.outFeatures = outFeatures
        self.bias = bias
    }
}
