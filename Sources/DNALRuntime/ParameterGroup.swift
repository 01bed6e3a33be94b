/// What a parameter belongs to, so training phases can freeze and unfreeze whole groups: DNAL's
/// phase 2 freezes conv and 2-D batch-norm parameters while gates, linear layers and 1-D batch
/// norms train (dnal-method.md 4.1).
public enum ParameterGroup: String, CaseIterable, Sendable, Hashable {
    /// Conv weights and biases.
    case conv
    /// gamma and beta of batch norms over feature maps.
    case batchNorm2d
    /// Linear weights and biases.
    case linear
    /// gamma and beta of batch norms over feature vectors.
    case batchNorm1d
    /// Gate alphas: the architecture parameters.
    case alpha

    /// Weights of the network, as opposed to architecture parameters.
    public var isWeight: Bool { self != .alpha }
}

/// Whether a tensor is learned or only tracked.
public enum TensorRole: String, Sendable, Hashable {
    /// Learned by the optimizer: has a gradient.
    case trainable
    /// Updated by the forward pass or set by the search: running statistics, gate masks.
    case buffer
}

/// One named tensor inside the store.
public struct ParameterEntry: Sendable, Hashable {
    /// `node.weight`, `node.bias`, `bn.running_mean`, `gate.alpha`, `gate.mask`, ...
    public var name: String
    public var group: ParameterGroup
    public var role: TensorRole
    /// Shape in dnalc's layout (conv `[K, K, Cin/g, Cout]`, linear `[In, Out]`).
    public var shape: [Int]
    /// Offset in floats inside the store (trainables and buffers have separate allocations).
    public var offset: Int
    public var count: Int { shape.reduce(1, *) }
}
