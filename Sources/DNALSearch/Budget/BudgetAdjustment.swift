import DNALCore
import DNALPasses

/// What the final adjustment did when phase 2 ended outside the budget's tolerance.
public struct BudgetAdjustment: Codable, Equatable, Sendable {
    /// Gate channels closed (cost above the budget) or reopened (below it); 0 when none moved.
    public var closed: Int
    public var reopened: Int
    /// The pruned network's cost before and after.
    public var costBefore: Int
    public var costAfter: Int

    public var moved: Int { closed + reopened }

    enum CodingKeys: String, CodingKey {
        case closed, reopened, costBefore = "cost_before", costAfter = "cost_after"
    }
}

/// Brings binarised gate masks within `tolerance` of `budget` when phase 2 ended outside it
/// (DNAL's own rule, sigmoid(beta_final * alpha) > threshold, decides everything else):
/// - over the budget, the open gate channels with the lowest alpha close first;
/// - under it, the closed ones with the highest alpha reopen first;
/// as few as needed (found by bisection: cost only falls as channels close and only rises as they
/// reopen). A gate channel is the unit the reference's masks move: channels tied by a depthwise
/// conv share one gate and so move together, and a residual branch's output gate closes channel by
/// channel while the trunk keeps its width (docs/dnal-method.md 6.2). Channels are never closed
/// past the point where the network would lose its output (`checkMasksKeepNetworkConnected`), so a
/// budget below what the gates allow ends at the smallest network they allow.
func adjustToBudget(_ graph: Graph, masks: inout GateMasks, alphas: [Int: [Float]], metric: CostTarget.Metric,
                    budget: Double, tolerance: Double) -> BudgetAdjustment {
    func cost(_ m: GateMasks) -> Int { maskedCost(graph, masks: m, metric: metric) }
    let before = cost(masks)
    let high = budget * (1 + tolerance), low = budget * (1 - tolerance)
    guard Double(before) > high || Double(before) < low else {
        return BudgetAdjustment(closed: 0, reopened: 0, costBefore: before, costAfter: before)
    }
    let closing = Double(before) > high
    // candidates in the order they move: lowest alpha first to close, highest first to reopen
    var candidates: [(node: Int, channel: Int, alpha: Float)] = []
    for (node, keep) in masks.keep {
        for (c, open) in keep.enumerated() where open == closing { candidates.append((node, c, alphas[node]![c])) }
    }
    candidates.sort { a, b in
        a.alpha != b.alpha ? (closing ? a.alpha < b.alpha : a.alpha > b.alpha) : (a.node, a.channel) < (b.node, b.channel)
    }
    func moved(_ k: Int) -> GateMasks {
        var m = masks
        for x in candidates.prefix(k) { m.keep[x.node]![x.channel] = !closing }
        return m
    }
    func valid(_ k: Int) -> Bool { (try? checkMasksKeepNetworkConnected(graph, gates: moved(k))) != nil }
    // the most channels that may move (closing can cut the network off; reopening cannot)
    var (lo, hi) = (0, candidates.count)
    if closing {
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if valid(mid) { lo = mid } else { hi = mid - 1 }
        }
        hi = lo
        lo = 0
    }
    // the fewest that bring the cost to the near edge of the tolerance band
    func inBand(_ k: Int) -> Bool { closing ? Double(cost(moved(k))) <= high : Double(cost(moved(k))) >= low }
    while lo < hi {
        let mid = (lo + hi) / 2
        if inBand(mid) { hi = mid } else { lo = mid + 1 }
    }
    masks = moved(lo)
    return BudgetAdjustment(closed: closing ? lo : 0, reopened: closing ? 0 : lo, costBefore: before, costAfter: cost(masks))
}

/// The cost of the smallest network the gates allow: every gate keeping one channel, and gates
/// whose channels may all close (a residual branch's) closed, as long as the network keeps its
/// output. A budget below it cannot be met.
func smallestGatedCost(_ graph: Graph, metric: CostTarget.Metric) -> Int {
    var masks = GateMasks(keep: [:])
    let gates = graph.nodes.filter { $0.op == .gate }
    for g in gates { masks.keep[g.id] = (0..<g.shape.channels).map { $0 == 0 } }
    for g in gates {
        var trial = masks
        trial.keep[g.id] = [Bool](repeating: false, count: g.shape.channels)
        if (try? checkMasksKeepNetworkConnected(graph, gates: trial)) != nil { masks = trial }
    }
    return maskedCost(graph, masks: masks, metric: metric)
}
