import DNALCore
import DNALPasses
import DNALRuntime

extension SearchRun {
    /// Zeroes the conv and linear weight columns the reference's masks drop (dnal-method.md 6.1-6.2):
    /// in phase 3 the reference trains `weight * mask`, and its masks also cut the columns with which
    /// a block's first conv reads trunk channels the previous block's output gate closed, although
    /// the shortcut still carries them. Gates alone do not do that, so without this a residual
    /// network's phase 3 would train a different function from the reference's. Called after every
    /// step: the masked weights stay exactly 0, so the forward pass is the masked network's.
    /// Rows need nothing: a dropped row only ever reaches closed gates.
    func applyWeightMasks(_ masks: ChannelMasks) {
        let p = train.parameters
        for node in graph.nodes {
            guard let columns = masks.columns[node.id], columns.contains(false) else { continue }
            let w = p.pointer(node.name + ".weight")
            switch node.op {
            case .conv(let c) where c.groups == 1:
                // [K, K, Cin, Cout]
                let cin = columns.count, cout = c.outChannels
                for tap in 0..<(c.kernel * c.kernel) {
                    for i in 0..<cin where !columns[i] {
                        (w + (tap * cin + i) * cout).update(repeating: 0, count: cout)
                    }
                }
            case .linear(let l):
                // [In, Out]
                for i in columns.indices where !columns[i] {
                    (w + i * l.outFeatures).update(repeating: 0, count: l.outFeatures)
                }
            default:
                break  // grouped and depthwise convs keep every column (computeChannelMasks)
            }
        }
    }
}
