/// Every operation a dnalc graph can hold. Attributes are typed structs named after the case.
///
/// This enum is the table of contents of the IR: adding a case forces every pass, the dump and the
/// DSL's op table (Grammar.md) to say what it means.
public enum Op: Hashable, Sendable {
    /// The network input; exactly one per graph, always node 0.
    case input
    /// Convolution (groups cover depthwise).
    case conv(Conv)
    /// Batch normalisation (2-D after convs, 1-D after linear layers).
    case batchNorm(BatchNorm)
    /// A DNAL channel gate: multiplies channel c by sigmoid(beta * alpha_c) * mask_c in search,
    /// by mask_c when fine-tuning, and passes it through when gates are off.
    case gate
    /// ReLU or ReLU6.
    case activation(Activation)
    /// Max or average pooling.
    case pool(Pool)
    /// Average over H and W: `[C,H,W] -> [C,1,1]`.
    case globalAvgPool
    /// Fully connected layer.
    case linear(Linear)
    /// Dropout (identity at inference).
    case dropout(Dropout)
    /// `[C,H,W] -> [C*H*W]`.
    case flatten
    /// Elementwise sum of two or more inputs.
    case add(Add)
    /// Channel concatenation of two or more feature maps of equal H and W.
    case concat
    /// Passes its input through unchanged.
    case identity
    /// Option-A shortcut: strided subsample and zero channel padding.
    case zeroPad(ZeroPad)
    /// Keeps listed channels (pruned networks: a layer reading part of a tensor).
    case gather(Gather)
    /// Places channels among zeros (pruned networks: a branch writing part of the trunk).
    case scatter(Scatter)

    /// The op's name as dumps, tables and the DSL spell it.
    public var kindName: String {
        switch self {
        case .input: return "input"
        case .conv(let c): return c.groups > 1 && c.groups == c.outChannels ? "dwconv" : "conv"
        case .batchNorm: return "bn"
        case .gate: return "gate"
        case .activation(let a): return a.rawValue
        case .pool(let p): return p.kind == .max ? "maxpool" : "avgpool"
        case .globalAvgPool: return "gap"
        case .linear: return "linear"
        case .dropout: return "dropout"
        case .flatten: return "flatten"
        case .add(let a): return a.role == .candidates ? "sum" : "add"
        case .concat: return "concat"
        case .identity: return "identity"
        case .zeroPad: return "zeropad"
        case .gather: return "gather"
        case .scatter: return "scatter"
        }
    }

    /// How many inputs the op takes: exactly one, or (for add and concat) two or more.
    public var takesManyInputs: Bool {
        switch self {
        case .add, .concat: return true
        default: return false
        }
    }

    /// True for ops that change nothing but values channel by channel (the channel index space of
    /// the output is the input's).
    public var isChannelwise: Bool {
        switch self {
        case .batchNorm, .gate, .activation, .dropout, .identity, .pool, .globalAvgPool: return true
        default: return false
        }
    }
}
