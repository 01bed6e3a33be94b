/// How FLOPs and parameters are counted. Grammar.md ("Cost conventions") is the reference.
public enum CostConvention: String, CaseIterable, Sendable {
    /// The DNAL reference counter (docs/dnal-method.md 7.1): FLOPs are conv and linear MACs, plus one per
    /// output channel of every prunable conv's batch norm and one per bias element; params are
    /// weights + biases + 2 per output channel of every prunable conv's batch norm. Other batch
    /// norms, gates, pools, activations and adds count nothing.
    case dnal
    /// Conv and linear multiply-accumulates only; params are every learnable tensor of the final
    /// network (weights, biases, every batch norm's gamma and beta; not the search-only alphas).
    case macs
    /// 2 x MACs (a multiply and an add each); params as in `macs`.
    case flops

    /// What the compute column counts: "MACs" under `macs`, "FLOPs" otherwise.
    public var unit: String { self == .macs ? "MACs" : "FLOPs" }

    /// One line saying what the convention counts, printed above every cost table.
    public var summary: String {
        switch self {
        case .dnal:
            return "dnal: FLOPs = conv/linear MACs + 1 per bias + 1 per channel of a prunable conv's BN; params = weights + biases + 2 per channel of a prunable conv's BN"
        case .macs:
            return "macs: MACs = conv/linear multiply-accumulates; params = weights + biases + every BN's gamma and beta"
        case .flops:
            return "flops: FLOPs = 2 x conv/linear MACs; params = weights + biases + every BN's gamma and beta"
        }
    }
}
