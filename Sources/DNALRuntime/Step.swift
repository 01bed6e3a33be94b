import DNALCore
import DNALKernels

/// One kernel call of the plan, for one IR node. Geometry is per sample: the executor fills in
/// the batch size. Tensors are named by the id of the node that produces them.
struct Step {
    /// What the step computes, with everything its kernels need.
    enum Kind {
        /// Convolution; `geometry.batch` is 1 here.
        case conv(ConvGeometry, weight: String, bias: String?)
        /// Linear layer; `chw` is (pixels, channels) when its input is a feature map with more than
        /// one pixel, which must be reordered to PyTorch's C, H, W flatten order first.
        case linear(inFeatures: Int, outFeatures: Int, weight: String, bias: String?, chw: (pixels: Int, channels: Int)?)
        /// Batch norm over `pixels` positions of `channels` per sample.
        case batchNorm(pixels: Int, channels: Int, gamma: String, beta: String, mean: String, variance: String,
                       epsilon: Float, momentum: Float)
        case gate(pixels: Int, channels: Int, alpha: String, mask: String)
        case activation(relu6: Bool)
        case maxPool(PoolKernel.Geometry)
        case avgPool(PoolKernel.Geometry)
        case globalAvgPool(pixels: Int, channels: Int)
        /// NHWC -> CHW-flat.
        case flatten(pixels: Int, channels: Int)
        case add
        /// Channel counts of each input, in order.
        case concat(pixels: Int, channels: [Int])
        case zeroPad(height: Int, width: Int, inChannels: Int, stride: Int, outChannels: Int, offset: Int)
        case dropout(Float)
        case identity
    }

    /// The IR node this step computes.
    let node: Int
    let name: String
    /// Producer node ids of the inputs.
    let inputs: [Int]
    let kind: Kind
    /// Floats of the output per sample.
    let outputCount: Int
    /// MACs per sample (conv and linear), for benchmarks.
    let macs: Int

    /// Whether the backward pass reads this step's input (beyond its output gradient).
    var backwardNeedsInput: Bool {
        switch kind {
        case .conv, .linear, .batchNorm, .gate: return true
        default: return false
        }
    }

    /// Whether the backward pass reads this step's own output.
    var backwardNeedsOutput: Bool {
        if case .activation = kind { return true }
        return false
    }
}
