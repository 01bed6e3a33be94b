import DNALKernels

/// One entry of an inference plan: a layer as training runs it, or a step that only inference
/// can take because no backward pass needs the tensors it never writes
/// (`Lowering.inferencePlan`). Training plans hold `Step`s only.
enum InferenceStep: PlannedStep {
    /// A layer, run as in training (with batch norm and gates folded into convs).
    case layer(Step)
    /// A step inference fusion made.
    case fused(Fused)

    /// A step only inference runs.
    struct Fused {
        let node: Int
        let name: String
        let inputs: [Int]
        let kind: Kind
        let outputCount: Int
        let macs: Int
    }

    /// What a fused step computes.
    enum Kind {
        /// A `conv` or `convBlock` with the gather before it and/or the residual sum after it folded
        /// in. With a residual, its output is written into the sum's trunk tensor, `trunk`, and the
        /// sum's step is `inPlace`.
        case conv(FusedConv)
        /// A sum already computed in place by a fused conv; its output is the tensor of node `of`
        /// (the memory plan aliases them).
        case inPlace(of: Int)
        /// Two convs run image by image, the second reading only the first's output, which then
        /// never exists for the whole batch (a residual block's two convs).
        case convPair(first: FusedConv, second: FusedConv)
        /// An inverted-residual block run a group of images at a time: a dense conv, a depthwise conv reading
        /// only its output and a dense conv reading only that (MobileNetV2's expansion, depthwise
        /// and projection), so neither intermediate exists for the whole batch. The last may add
        /// into a trunk, as `conv` does.
        case invertedResidual(expand: FusedConv, depthwise: FusedConv, project: FusedConv)
        /// Consecutive pairs on one trunk, each first conv reading the trunk the previous pair
        /// added into (`Convolution.forwardChain`); writes into the first's trunk. With `start`,
        /// the chain first writes that trunk from the start's node, whose scatter step is a
        /// `chainStart`.
        case convChain([(first: FusedConv, second: FusedConv)], start: ChainStart?)
        /// A trunk the chain after it writes (its scatter done by the chain, `ChainStart`): the
        /// step only holds the trunk's tensor.
        case chainStart
        /// A conv and the max pool that alone reads it, run a group of images at a time
        /// (`Convolution.forwardPooled`): the conv's output never exists for the whole batch.
        case convPool(conv: FusedConv, pool: PoolKernel.Geometry)
    }

    /// A chain's trunk as the scatter of node `node`'s channels to trunk channels `index`.
    struct ChainStart {
        var node: Int
        var index: [Int32]
    }

    /// A conv step and what inference folds into it.
    struct FusedConv {
        /// The layer's own kind: `conv` or `convBlock`.
        var conv: Step.Kind
        var fusion: Convolution.Fusion
        /// The node whose tensor is the residual trunk (with `fusion.residual`).
        var trunk: Int?
    }

    var node: Int {
        switch self {
        case .layer(let s): return s.node
        case .fused(let f): return f.node
        }
    }
    var name: String {
        switch self {
        case .layer(let s): return s.name
        case .fused(let f): return f.name
        }
    }
    var inputs: [Int] {
        switch self {
        case .layer(let s): return s.inputs
        case .fused(let f): return f.inputs
        }
    }
    var outputCount: Int {
        switch self {
        case .layer(let s): return s.outputCount
        case .fused(let f): return f.outputCount
        }
    }
    var macs: Int {
        switch self {
        case .layer(let s): return s.macs
        case .fused(let f): return f.macs
        }
    }
    /// The layer's kind, for a layer step.
    var layerKind: Step.Kind? {
        if case .layer(let s) = self { return s.kind }
        return nil
    }
    /// The fused step's kind, for a fused step.
    var fusedKind: Kind? {
        if case .fused(let f) = self { return f.kind }
        return nil
    }

    /// What a profile calls a fused step that runs several layers (nil: the layer's own op).
    var fusedOpName: String? {
        switch fusedKind {
        case .convPair: return "conv pair"
        case .invertedResidual: return "inverted residual"
        case .convChain: return "conv chain"
        case .convPool: return "conv+maxpool"
        case .conv, .inPlace, .chainStart, nil: return nil
        }
    }

    var aliasOf: Int? {
        if case .inPlace(let node) = fusedKind { return node }
        if case .layer(let s) = self { return s.aliasOf }
        return nil
    }

    var writesOwnOutput: Bool {
        switch fusedKind {
        case .conv(let f): return !f.fusion.residual
        case .convPair(_, let second), .invertedResidual(_, _, let second): return !second.fusion.residual
        case .convPool, .chainStart: return true
        case .convChain, .inPlace: return false
        case nil: return true
        }
    }

    // an inference plan has no backward pass
    var backwardNeedsInput: Bool { false }
    var backwardNeedsOutput: Bool { false }
    var fusedConvNode: Int? { nil }
    var fusedWithProducer: Bool { false }
}

extension PlannedStep {
    /// Each in-place step's node -> the node whose tensor it shares (chains resolved: a stage of
    /// residual blocks shares one trunk tensor).
    static func aliases(_ steps: [Self]) -> [Int: Int] {
        var root: [Int: Int] = [:]
        for step in steps {
            guard let target = step.aliasOf else { continue }
            root[step.node] = root[target] ?? target
        }
        return root
    }
}
