/// The parameter-free "option A" shortcut: subsample by `stride` (`x[:, ::s, ::s]`) and place
/// the input channels at `offset` inside `outChannels` zero channels.
public struct ZeroPad: Hashable, Sendable {
    /// Output channels; at least the input's.
    public var outChannels: Int
    /// Spatial subsampling step.
    public var stride: Int
    /// Index of the first input channel in the output (the CIFAR ResNet convention pads both sides
    /// equally, so `offset = (out - in) / 2`).
    public var offset: Int

    public init(outChannels: Int, stride: Int, offset: Int) {
        self.outChannels = outChannels
        self.stride = stride
        self.offset = offset
    }
}
