import DNALCore
import DNALKernels

/// One kernel call of a training plan (and the layers of an inference plan, `InferenceStep`), for
/// one IR node. Geometry is per sample: the executor fills in the batch size. Tensors are named by
/// the id of the node that produces them.
struct Step: PlannedStep {
    /// What the step computes, with everything its kernels need.
    enum Kind {
        /// Convolution; `geometry.batch` is 1 here.
        case conv(ConvGeometry, weight: String, bias: String?)
        /// conv -> batch norm -> [gate] -> [activation] fused: the conv writes its raw output to the
        /// conv node's tensor (kept for the backward pass), one pass applies the rest.
        case convBlock(ConvBlock)
        /// Linear layer; `chw` is (pixels, channels) when its input is a feature map with more than
        /// one pixel, which must be reordered to PyTorch's C, H, W flatten order first.
        case linear(inFeatures: Int, outFeatures: Int, weight: String, bias: String?, chw: (pixels: Int, channels: Int)?)
        /// Batch norm over `pixels` positions of `channels` per sample.
        case batchNorm(pixels: Int, channels: Int, gamma: String, shift: String, mean: String, variance: String,
                       epsilon: Float, momentum: Float)
        case gate(pixels: Int, channels: Int, alpha: String, mask: String)
        case activation(relu6: Bool)
        case maxPool(PoolKernel.Geometry)
        case avgPool(PoolKernel.Geometry)
        case globalAvgPool(pixels: Int, channels: Int)
        /// NHWC -> CHW-flat.
        case flatten(pixels: Int, channels: Int)
        case add
        /// A sum some of whose inputs are scattered into it (a pruned residual branch): `scatters[k]`
        /// is input k's channel map, nil for an input of the sum's own width. The scatter nodes
        /// themselves get no step: their channels are added straight into the sum.
        /// With an activation, the ReLU after the sum is fused in (the step is the activation node).
        case scatterAdd(pixels: Int, channels: Int, scatters: [[Int32]?], activation: FusedNormKernel.Activation)
        /// Channel counts of each input, in order.
        case concat(pixels: Int, channels: [Int])
        case zeroPad(height: Int, width: Int, inChannels: Int, stride: Int, outChannels: Int, offset: Int)
        /// Keeps `index` of `inChannels` channels at each of `pixels` positions.
        case gather(pixels: Int, inChannels: Int, index: [Int32])
        /// Writes input channel k to output channel `index[k]` of `outChannels`, zeros elsewhere.
        case scatter(pixels: Int, outChannels: Int, index: [Int32])
        case dropout(Float)
        case identity
    }

    /// A batch norm's parameter and buffer names and settings.
    struct Norm {
        var gamma: String, shift: String, mean: String, variance: String
        var epsilon: Float, momentum: Float
    }

    /// A fused conv -> bn -> [gate] -> [activation] chain. (One struct payload: an enum case with
    /// many optional and enum payloads makes Swift's switch-exhaustiveness check blow up.)
    struct ConvBlock {
        var geometry: ConvGeometry
        var weight: String
        var bias: String?
        var norm: Norm
        var gate: GateNames?
        var activation: FusedNormKernel.Activation
        /// The conv node, whose tensor ids hold the raw conv output and its gradient.
        var convNode: Int
    }

    /// A gate's parameter names.
    struct GateNames {
        var alpha: String, mask: String
    }

    /// The IR node this step computes (the last node of a fused chain).
    let node: Int
    let name: String
    /// Producer node ids of the inputs.
    let inputs: [Int]
    let kind: Kind
    /// Floats of the output per sample.
    let outputCount: Int
    /// MACs per sample (conv and linear), for benchmarks.
    let macs: Int
    /// A gather of the sum computed by the step right before it. In training, that sum's forward
    /// pass writes the gather's output (from the trunk rows it just wrote, still in cache), and
    /// its backward pass adds the gather's gradient into the trunk's (which it reads anyway): the
    /// output lives from the sum's forward step, the gradient until the sum's backward step.
    var fusedWithProducer = false
    /// A training sum computed in place into its trunk input's tensor (`Lowering.sumsInPlace`):
    /// that input's node.
    var inPlaceOf: Int?
    /// A training block whose output is never stored: its one reader, a depthwise block, reads
    /// the raw conv output through this block's affine instead (`Lowering.deferOutputs`).
    var outputDeferred = false
    /// That reader's view of its input: the deferred block it reads through.
    var readsThrough: DeferredInput?

    /// A deferred block's output as its reader takes it: the block's node (whose batch-norm
    /// state holds the affine), its raw conv output's node and its activation.
    struct DeferredInput {
        var node: Int
        var rawNode: Int
        var activation: FusedNormKernel.Activation
    }

    /// Whether the backward pass reads this step's input (beyond its output gradient).
    var backwardNeedsInput: Bool {
        switch kind {
        case .conv, .convBlock, .linear, .batchNorm, .gate: return true
        default: return false
        }
    }

    /// The conv node of a fused block, whose tensor ids hold the raw conv output and its gradient.
    var fusedConvNode: Int? {
        if case .convBlock(let block) = kind { return block.convNode }
        return nil
    }

    /// Whether the backward pass reads this step's own output. (A sum with an activation keeps
    /// its slopes as bits instead, `Executor.slopeMasks`.)
    var backwardNeedsOutput: Bool {
        if case .activation = kind { return true }
        return false
    }

    /// Slope-mask words (UInt16) per sample of a training sum with an activation, else 0.
    var slopeMaskWords: Int {
        guard case .scatterAdd(let pixels, let c, _, let activation) = kind, activation != .none else { return 0 }
        return pixels * ((c + 15) / 16)
    }
}

/// What the memory planner needs of a step, training or inference.
protocol PlannedStep {
    /// The IR node whose tensor the step writes (or, in place, names).
    var node: Int { get }
    var inputs: [Int] { get }
    /// Floats of the output per sample.
    var outputCount: Int { get }
    /// The node whose tensor this step's output is (itself, unless computed in place).
    var aliasOf: Int? { get }
    /// Whether the step writes a tensor of its own (a fused residual conv writes into its trunk).
    var writesOwnOutput: Bool { get }
    var backwardNeedsInput: Bool { get }
    var backwardNeedsOutput: Bool { get }
    /// The conv node of a fused block, whose tensor ids hold the raw conv output and its gradient.
    var fusedConvNode: Int? { get }
    /// Whether the step's output is written, and its gradient read, by its input's producer (see `Step`).
    var fusedWithProducer: Bool { get }
}

extension Step {
    /// A layer step computes its own tensor, but for a training sum written over its trunk.
    var aliasOf: Int? { inPlaceOf }
    var writesOwnOutput: Bool { !outputDeferred }
}
