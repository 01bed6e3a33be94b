/// The sizes of one convolution (or linear layer, as a 1x1 convolution over a 1x1 map) applied
/// to a batch of NHWC tensors.
public struct ConvGeometry: Hashable, Sendable {
    public var batch: Int
    public var inHeight: Int, inWidth: Int, inChannels: Int
    public var outChannels: Int
    public var kernel: Int, stride: Int, padding: Int, groups: Int

    public init(batch: Int, inHeight: Int, inWidth: Int, inChannels: Int, outChannels: Int,
                kernel: Int, stride: Int = 1, padding: Int = 0, groups: Int = 1) {
        self.batch = batch
        self.inHeight = inHeight
        self.inWidth = inWidth
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.groups = groups
    }

    /// A linear layer `[batch, inFeatures] -> [batch, outFeatures]`.
    public static func linear(batch: Int, inFeatures: Int, outFeatures: Int) -> ConvGeometry {
        ConvGeometry(batch: batch, inHeight: 1, inWidth: 1, inChannels: inFeatures, outChannels: outFeatures, kernel: 1)
    }

    public var outHeight: Int { (inHeight + 2 * padding - kernel) / stride + 1 }
    public var outWidth: Int { (inWidth + 2 * padding - kernel) / stride + 1 }
    /// Input channels per group.
    public var inPerGroup: Int { inChannels / groups }
    /// Output channels per group.
    public var outPerGroup: Int { outChannels / groups }
    /// One filter per channel: the depthwise kernels apply.
    public var isDepthwise: Bool { groups > 1 && groups == inChannels && groups == outChannels }

    /// Elements of x `[N, H, W, Ci]`, y `[N, Ho, Wo, Co]` and w `[K, K, Ci/g, Co]`.
    public var inputCount: Int { batch * inHeight * inWidth * inChannels }
    public var outputCount: Int { batch * outHeight * outWidth * outChannels }
    public var weightCount: Int { kernel * kernel * inPerGroup * outChannels }
    /// Multiply-accumulates of the forward pass.
    public var macs: Int { batch * outHeight * outWidth * outChannels * inPerGroup * kernel * kernel }
}
