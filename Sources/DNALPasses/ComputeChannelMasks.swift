import DNALCore

/// A channel's state in the mask analysis: kept or not (`Bool`), or how open it is (`Double`, for
/// the expected cost under soft gates). Soft values combine by min and max, which are idempotent:
/// the same gate met twice along a path (by a reader's columns and by its own rows) counts once,
/// as it is one event; 0 and 1 give exactly the hard analysis.
public protocol ChannelValue: Sendable, Equatable {
    static var kept: Self { get }
    static var dropped: Self { get }
    /// Both (hard: and; soft: min).
    static func both(_ a: Self, _ b: Self) -> Self
    /// Either (hard: or; soft: max).
    static func either(_ a: Self, _ b: Self) -> Self
    /// The weight this value gives a channel in a count (0 or 1; a probability).
    var weight: Double { get }
}

extension Bool: ChannelValue {
    public static var kept: Bool { true }
    public static var dropped: Bool { false }
    public static func both(_ a: Bool, _ b: Bool) -> Bool { a && b }
    public static func either(_ a: Bool, _ b: Bool) -> Bool { a || b }
    public var weight: Double { self ? 1 : 0 }
}

extension Double: ChannelValue {
    public static var kept: Double { 1 }
    public static var dropped: Double { 0 }
    public static func both(_ a: Double, _ b: Double) -> Double { min(a, b) }
    public static func either(_ a: Double, _ b: Double) -> Double { max(a, b) }
    public var weight: Double { self }
}

/// Which weights of each conv and linear layer survive gate masks, by the DNAL reference rules
/// (docs/dnal-method.md 6.2): the hard-gated network's weight masks, from which its cost is counted.
public struct ChannelMasks: Sendable, Equatable {
    /// Per conv/linear node: which output channels (rows) are kept.
    public var rows: [Int: [Bool]]
    /// Per conv/linear node: which input channels (linear: input features) it reads (columns).
    public var columns: [Int: [Bool]]
}

/// `ChannelMasks` with soft values: the probability that each row and column survives.
public struct SoftChannelMasks: Sendable, Equatable {
    public var rows: [Int: [Double]]
    public var columns: [Int: [Double]]
}

/// Row and column openness when gate channel c is open to degree `open[gate][c]`
/// (sigmoid(beta * alpha) during the search).
public func computeSoftChannelMasks(_ graph: Graph, open: [Int: [Double]]) -> SoftChannelMasks {
    let a = analyzeChannels(graph, gates: open)
    return SoftChannelMasks(rows: a.rows, columns: a.columns)
}

/// Derives row and column masks of every conv and linear layer from gate masks.
///
/// - Columns: what the reference's `set_conv_mask` leaves a layer reading a tensor: channels
///   a gate on the way closed are not read; at residual and candidate sums the shortcut is
///   ignored, so the next block reads only what the previous block's gates kept (a trunk
///   channel the shortcut still carries is dropped, as in the reference).
/// - Rows: an output channel is kept iff some reader still needs it: every path from it meets
///   a closed gate otherwise. This carries a depthwise gate back to the expansion conv (or stem)
///   in front of it, and a residual branch's gate to its conv.
/// - Dead channels (`liveChannels`: they could only carry a constant) are neither kept nor read.
/// Convs marked `prunable: false` and grouped (not depthwise) convs keep every row and column.
///
/// Precondition: `graph` verifies and `gates` validates against it.
public func computeChannelMasks(_ graph: Graph, gates: GateMasks) -> ChannelMasks {
    let a = hardChannelAnalysis(graph, gates: gates).analysis
    return ChannelMasks(rows: a.rows, columns: a.columns)
}

/// The weight masks the reference's own counter sees (docs/dnal-method.md 7.1), for comparing with
/// the paper's tables: every conv keeps the rows its gate keeps and reads the columns the gate in
/// front of it keeps, whether or not a later gate closes everything the conv feeds. It differs from
/// `computeChannelMasks` only when a gate closes entirely (a residual block's output gate, a
/// projection gate, a candidate op): the reference still counts the convs in front of that gate,
/// which the compact network drops because nothing reads them. Dead channels are not removed
/// either: a channel counts as alive while its row is kept and it reads a kept column.
public func computeReferenceChannelMasks(_ graph: Graph, gates: GateMasks) -> ChannelMasks {
    let a = analyzeChannels(graph, gates: gates.keep, readersAlwaysRead: true)
    return ChannelMasks(rows: a.rows, columns: a.columns)
}

/// The hard analysis with dead channels (`liveChannels`) zero, what the pruner builds on, and
/// per conv the dead output channels the masks alone would keep (`deadRows`).
func hardChannelAnalysis(_ graph: Graph, gates: GateMasks) -> (analysis: ChannelAnalysis<Bool>, deadRows: [Int: [Int]]) {
    let plain = analyzeChannels(graph, gates: gates.keep)
    let live = liveChannels(graph, gates: gates.keep, reference: plain.reference)
    var dead: [Int: [Int]] = [:]
    for node in graph.nodes {
        guard case .conv = node.op, let rows = plain.rows[node.id] else { continue }
        let rowsDead = rows.indices.filter { rows[$0] && !live[node.id][$0] }
        if !rowsDead.isEmpty { dead[node.id] = rowsDead }
    }
    return (analyzeChannels(graph, gates: gates.keep, live: live), dead)
}

/// Per-channel facts about every tensor (node output) under gate masks, and the row and column
/// masks derived from them.
struct ChannelAnalysis<V: ChannelValue> {
    /// Channels that may be non-zero in the hard-gated network.
    var possible: [[V]]
    /// What a reader's columns keep of each tensor (the reference's rule: shortcuts ignored).
    var reference: [[V]]
    /// Channels some reader needs.
    var needed: [[V]]
    var rows: [Int: [V]]
    var columns: [Int: [V]]
}

/// The analysis behind `computeChannelMasks`, over hard or soft channel values.
/// With `live` (`liveChannels`), dead channels count as zero: never possible, never read.
/// With `readersAlwaysRead`, a masked conv or linear needs its columns even when none of its rows
/// is needed (the reference counter's view); otherwise it needs nothing then (the compact view).
func analyzeChannels<V: ChannelValue>(_ graph: Graph, gates: [Int: [V]], live: [[Bool]]? = nil,
                                      readersAlwaysRead: Bool = false) -> ChannelAnalysis<V> {
    let n = graph.nodes.count
    var possible = [[V]](repeating: [], count: n)    // may be non-zero in the hard-gated network
    var reference = [[V]](repeating: [], count: n)   // what a reader's columns keep
    func width(_ id: Int) -> Int { graph.nodes[id].shape.isFeatureMap ? graph.nodes[id].shape.channels : graph.nodes[id].shape.elementCount }
    for node in graph.nodes {
        let all = [V](repeating: .kept, count: width(node.id))
        let x = node.inputs.first
        switch node.op {
        case .gate:
            let keep = gates[node.id] ?? all
            possible[node.id] = zip(possible[x!], keep).map { V.both($0, $1) }
            reference[node.id] = zip(reference[x!], keep).map { V.both($0, $1) }
        case .activation, .dropout, .identity, .pool, .globalAvgPool, .flatten, .concat, .zeroPad, .gather, .scatter:
            possible[node.id] = movedChannels(node, graph, empty: V.dropped) { possible[$0] }
            reference[node.id] = movedChannels(node, graph, empty: V.dropped) { reference[$0] }
        case .add:
            let shortcuts = shortcutInputs(node, graph)
            possible[node.id] = node.inputs.reduce([V](repeating: .dropped, count: all.count)) { acc, i in zip(acc, possible[i]).map { V.either($0, $1) } }
            let branches = node.inputs.enumerated().filter { !shortcuts.contains($0.offset) }.map(\.element)
            reference[node.id] = (branches.isEmpty ? node.inputs : branches)
                .reduce([V](repeating: .dropped, count: all.count)) { acc, i in zip(acc, reference[i]).map { V.either($0, $1) } }
        case .input, .conv, .linear, .batchNorm:
            possible[node.id] = all
            reference[node.id] = all
        }
        if let live {
            // a dead channel is zero; what readers' columns keep still follows the masks (below)
            possible[node.id] = zip(possible[node.id], live[node.id]).map { $1 ? $0 : .dropped }
        }
    }

    // What a reader reads of tensor x: the reference's columns, minus dead channels.
    if let live {
        for id in 0..<n { reference[id] = zip(reference[id], live[id]).map { $1 ? $0 : .dropped } }
    }

    // Backward: which channels of each tensor some reader needs.
    var needed = (0..<n).map { [V](repeating: .dropped, count: width($0)) }
    needed[graph.output] = needed[graph.output].map { _ in .kept }
    var rows: [Int: [V]] = [:], columns: [Int: [V]] = [:]
    func need(_ id: Int, _ mask: [V]) { needed[id] = zip(needed[id], mask).map { V.either($0, $1) } }
    for node in graph.nodes.reversed() where node.id != 0 {
        let out = needed[node.id], x = node.inputs[0]
        let anyNeeded = readersAlwaysRead || out.contains { $0.weight > 0 }
        switch node.op {
        case .conv(let c):
            let depthwise = c.groups > 1 && c.groups == width(x) && c.groups == c.outChannels
            if depthwise {
                rows[node.id] = out
                columns[node.id] = out
                need(x, out)
            } else if !c.prunable || c.groups > 1 {
                rows[node.id] = out.map { _ in .kept }
                columns[node.id] = [V](repeating: .kept, count: width(x))
                if anyNeeded { need(x, columns[node.id]!) }
            } else {
                rows[node.id] = out
                columns[node.id] = reference[x]
                if anyNeeded { need(x, reference[x]) }
            }
        case .linear:
            rows[node.id] = out.map { _ in .kept }
            columns[node.id] = reference[x]
            if anyNeeded { need(x, reference[x]) }
        case .gate:
            need(x, zip(out, gates[node.id] ?? out.map { _ in .kept }).map { V.both($0, $1) })
        case .batchNorm, .activation, .dropout, .identity, .pool, .globalAvgPool:
            need(x, out)
        case .flatten:
            let spatial = graph.nodes[x].shape.spatialCount
            need(x, (0..<width(x)).map { c in (0..<spatial).reduce(V.dropped) { V.either($0, out[c * spatial + $1]) } })
        case .add:
            for i in node.inputs { need(i, zip(out, possible[i]).map { V.both($0, $1) }) }
        case .concat:
            var offset = 0
            for i in node.inputs {
                need(i, Array(out[offset..<(offset + width(i))]))
                offset += width(i)
            }
        case .zeroPad(let z):
            need(x, Array(out[z.offset..<(z.offset + width(x))]))
        case .gather(let g):
            var mask = [V](repeating: .dropped, count: width(x))
            for (k, c) in g.channels.enumerated() { mask[c] = out[k] }
            need(x, mask)
        case .scatter(let s):
            need(x, s.channels.map { out[$0] })
        case .input:
            break
        }
    }
    return ChannelAnalysis(possible: possible, reference: reference, needed: needed, rows: rows, columns: columns)
}

/// Indices of an add's inputs that are shortcuts, which the reference's column masks ignore:
/// a residual add's second input; a candidate sum's input that is an ancestor of all the others
/// (the identity shortcut of the cell).
func shortcutInputs(_ node: Node, _ graph: Graph) -> Set<Int> {
    guard case .add(let add) = node.op else { return [] }
    switch add.role {
    case .residual:
        return node.inputs.count == 2 ? [1] : []
    case .candidates:
        var result = Set<Int>()
        for (k, i) in node.inputs.enumerated()
        where node.inputs.enumerated().allSatisfy({ $0.offset == k || isAncestor(i, of: $0.element, graph) }) {
            result.insert(k)
        }
        return result
    case .plain:
        return []
    }
}

/// Whether node `a` is `b` or lies on a path into it.
func isAncestor(_ a: Int, of b: Int, _ graph: Graph) -> Bool {
    var stack = [b], seen = Set<Int>()
    while let x = stack.popLast() {
        if x == a { return true }
        guard x > a, seen.insert(x).inserted else { continue }
        stack.append(contentsOf: graph.nodes[x].inputs)
    }
    return false
}
