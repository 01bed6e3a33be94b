/// A 2-D convolution over `[C, H, W]`; `groups == in == out` is depthwise.
public struct Conv: Hashable, Sendable {
    /// Output channels (filters).
    public var outChannels: Int
    /// Square kernel side.
    public var kernel: Int
    /// Stride in both directions.
    public var stride: Int
    /// Zero padding on each side.
    public var padding: Int
    /// Channel groups; input and output channels must both be divisible by it.
    public var groups: Int
    /// Whether the conv has a bias vector.
    public var bias: Bool
    /// Whether the conv's filters may be pruned (a `MaskedConv2d` in the DNAL reference code).
    /// Non-prunable convs (ResNet-50's projection shortcuts) are never pruned, and under the DNAL
    /// cost convention their batch norm is not counted, as the reference counter does.
    public var prunable: Bool

    public init(outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, groups: Int = 1,
                bias: Bool = false, prunable: Bool = true) {
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.groups = groups
        self.bias = bias
        self.prunable = prunable
    }

    /// Weight tensor element count for `inChannels` inputs: `out * (in / groups) * k * k`.
    public func weightCount(inChannels: Int) -> Int {
        outChannels * (inChannels / groups) * kernel * kernel
    }
}
