/// What one tensor of a layer is. The role fixes the tensor's name suffix (`NAME.weight`,
/// `NAME.running_var`, ...), whether it is learned, and how it starts; every suffix dnalc writes
/// or reads is spelled here and nowhere else.
public enum ParameterRole: String, CaseIterable, Sendable, Hashable {
    /// Conv or linear weight.
    case weight
    /// Conv or linear bias.
    case bias
    /// Batch-norm scale (gamma).
    case normScale
    /// Batch-norm shift (the batch norm's beta; not the gate's sharpness).
    case normShift
    /// Batch-norm running mean.
    case runningMean
    /// Batch-norm running variance.
    case runningVariance
    /// A DNAL gate's learned logits, the architecture parameters.
    case gateAlpha
    /// A DNAL gate's binary mask: 1 for an open channel, 0 for a closed one.
    case gateMask

    /// The name suffix after the layer's name, in PyTorch's spelling so that files load into the
    /// equivalent PyTorch modules.
    public var suffix: String {
        switch self {
        case .weight, .normScale: return "weight"
        case .bias, .normShift: return "bias"
        case .runningMean: return "running_mean"
        case .runningVariance: return "running_var"
        case .gateAlpha: return "alpha"
        case .gateMask: return "mask"
        }
    }

    /// Learned by the optimiser (has a gradient), as opposed to a buffer the forward pass or the
    /// search sets (running statistics, gate masks).
    public var isTrainable: Bool {
        switch self {
        case .runningMean, .runningVariance, .gateMask: return false
        default: return true
        }
    }

    /// `layer.suffix`: the tensor's name in weights files.
    public func name(of layer: String) -> String { layer + "." + suffix }

    /// The suffix of the step counter PyTorch's batch norms save (an I64 scalar). dnalc's
    /// batch-norm momentum is fixed, so the counter means nothing to it: files written by
    /// PyTorch load with it read past.
    public static let pytorchBatchCounterSuffix = "num_batches_tracked"
}

/// What a parameter belongs to, so training phases can freeze and unfreeze whole groups: DNAL's
/// phase 2 freezes conv and 2-D batch-norm parameters while gates, linear layers and 1-D batch
/// norms train (docs/dnal-method.md 4.1).
public enum ParameterGroup: String, CaseIterable, Sendable, Hashable {
    /// Conv weights and biases.
    case conv
    /// gamma and beta of batch norms over feature maps.
    case batchNorm2d
    /// Linear weights and biases.
    case linear
    /// gamma and beta of batch norms over feature vectors.
    case batchNorm1d
    /// Gate alphas and masks: the architecture parameters.
    case alpha

    /// Weights of the network, as opposed to architecture parameters.
    public var isWeight: Bool { self != .alpha }
}

/// How the sub-layers a conv line carries are named: `NAME.bn` for its batch norm and
/// `NAME.gate` for its gate (Grammar.md, conv). The DSL names them; the report reads a gate's
/// layer back from its name.
public enum SubLayer: String, Sendable {
    case batchNorm = "bn"
    case gate = "gate"

    /// The sub-layer's node name under `layer`.
    public func name(under layer: String) -> String { layer + "." + rawValue }

    /// The layer a sub-layer node belongs to (`conv1` for `conv1.gate`); the name itself when it
    /// is not this kind of sub-layer.
    public func owner(of node: String) -> String {
        node.hasSuffix("." + rawValue) ? String(node.dropLast(rawValue.count + 1)) : node
    }
}
