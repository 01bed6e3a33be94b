import DNALCore

/// A set of channels, spread over several tensors, that must be kept or pruned together.
///
/// Two channels are coupled when one is the other passed through a channelwise op (BN, gate,
/// activation, pool), when a depthwise conv maps one onto the other, or when an add, a concat or
/// an option-A zero-pad aligns them, or a pruned network's gather or scatter maps one onto the other. Channels whose coupling sets span the same tensors form one
/// group (one row per "width" of parallel channels).
public struct CouplingGroup: Sendable, Equatable {
    /// Why the channels are tied.
    public enum Tie: String, Sendable, Comparable {
        case chain, depthwise, residual, candidates, concat, zeropad
        /// A pruned network's gather or scatter maps the channels of one tensor onto another's.
        case channelMap = "channelmap"
        public static func < (a: Tie, b: Tie) -> Bool { a.rawValue < b.rawValue }
    }

    /// A tensor taking part, and which of its channels.
    public struct Member: Sendable, Equatable {
        public var node: Int
        /// Channel indices of `node`'s output in this group, as inclusive ranges.
        public var channels: [ClosedRange<Int>]
    }

    /// Number of parallel channels (each tensor contributes this many).
    public var width: Int
    /// What ties the channels together, sorted; `[.chain]` for a plain conv -> next-layer pair.
    public var ties: [Tie]
    /// Every tensor holding channels of the group, in graph order.
    public var members: [Member]
    /// Gate nodes that scale these channels.
    public var gates: [Int]
    /// Nodes that compute the channels: convs (dense or depthwise), linears, the input, zero-pads
    /// and scatters (whose padding channels have no other writer).
    public var writers: [Int]
    /// Dense convs and linears that read the channels (each channel is one of their inputs).
    public var readers: [Int]

    /// True when pruning one channel of the group touches more than one conv's filters.
    public var isCoupled: Bool { ties != [.chain] }
}

/// All coupling groups of a graph, ordered by the first tensor they appear in.
public struct CouplingReport: Sendable, Equatable {
    public var groups: [CouplingGroup]
}

/// Computes the channel-coupling groups of `graph` (the analysis the pruner works on).
///
/// Precondition: `graph` verifies. Postcondition: every channel of every feature-map tensor is
/// in exactly one group; groups with no writer (the padding of a zero-pad has one) are kept.
public func computeChannelCoupling(_ graph: Graph) -> CouplingReport {
    var (sets, ties) = linkChannels(graph)
    return CouplingReport(groups: sets.groups(graph, ties: ties))
}

/// Every channel of every feature-map tensor in one set with the channels it is tied to, and
/// per node why (`CouplingGroup.Tie`).
func linkChannels(_ graph: Graph) -> (ChannelSets, [Int: Set<CouplingGroup.Tie>]) {
    var sets = ChannelSets(graph)
    var ties: [Int: Set<CouplingGroup.Tie>] = [:]  // root-independent: recorded per node, merged later
    for node in graph.nodes {
        guard node.shape.isFeatureMap, let first = node.inputs.first else { continue }
        let input = graph.nodes[first]
        switch node.op {
        case _ where node.op.isChannelwise:
            for c in 0..<node.shape.channels { sets.union(node.id, c, first, c) }
        case .conv(let conv) where conv.groups > 1 && conv.groups == input.shape.channels:
            let perGroup = conv.outChannels / conv.groups
            for c in 0..<node.shape.channels { sets.union(node.id, c, first, c / perGroup) }
            ties[node.id] = [.depthwise]
        case .add(let add):
            for i in node.inputs { for c in 0..<node.shape.channels { sets.union(node.id, c, i, c) } }
            ties[node.id] = [add.role == .candidates ? .candidates : .residual]
        case .concat:
            var offset = 0
            for i in node.inputs {
                let n = graph.nodes[i].shape.channels
                for c in 0..<n { sets.union(node.id, offset + c, i, c) }
                offset += n
            }
            ties[node.id] = [.concat]
        case .zeroPad(let z):
            for c in 0..<input.shape.channels { sets.union(node.id, z.offset + c, first, c) }
            ties[node.id] = [.zeropad]
        case .gather(let g):
            for (k, c) in g.channels.enumerated() { sets.union(node.id, k, first, c) }
            ties[node.id] = [.channelMap]
        case .scatter(let s):
            for (k, c) in s.channels.enumerated() { sets.union(node.id, c, first, k) }
            ties[node.id] = [.channelMap]
        default:
            break
        }
    }
    return (sets, ties)
}

/// Union-find over every channel of every feature-map tensor.
struct ChannelSets {
    var offsets: [Int]
    var parent: [Int]

    init(_ graph: Graph) {
        var offsets: [Int] = []
        var total = 0
        for n in graph.nodes {
            offsets.append(total)
            if n.shape.isFeatureMap { total += n.shape.channels }
        }
        self.offsets = offsets
        parent = Array(0..<total)
    }

    /// The set of channel `c` of node `node`'s output (a feature map).
    mutating func find(_ node: Int, _ c: Int) -> Int { find(offsets[node] + c) }

    mutating func find(_ x: Int) -> Int {
        var x = x
        while parent[x] != x {
            parent[x] = parent[parent[x]]
            x = parent[x]
        }
        return x
    }

    mutating func union(_ a: Int, _ ca: Int, _ b: Int, _ cb: Int) {
        let ra = find(offsets[a] + ca), rb = find(offsets[b] + cb)
        if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
    }

    /// Channel classes grouped by the tensors they span.
    mutating func groups(_ graph: Graph, ties: [Int: Set<CouplingGroup.Tie>]) -> [CouplingGroup] {
        // members of each class, in node order
        var classes: [Int: [(node: Int, channel: Int)]] = [:]
        for n in graph.nodes where n.shape.isFeatureMap {
            for c in 0..<n.shape.channels { classes[find(offsets[n.id] + c), default: []].append((n.id, c)) }
        }
        // classes that span the same tensors form one group
        var bySignature: [[Int]: [[(node: Int, channel: Int)]]] = [:]
        var order: [[Int]] = []
        for root in classes.keys.sorted() {
            let members = classes[root]!
            let signature = members.map(\.node)
            if bySignature[signature] == nil { order.append(signature) }
            bySignature[signature, default: []].append(members)
        }
        let consumers = graph.consumers()
        return order.map { signature in
            let rows = bySignature[signature]!
            var channelsByNode: [Int: [Int]] = [:]
            for row in rows { for m in row { channelsByNode[m.node, default: []].append(m.channel) } }
            let nodeSet = Set(signature)
            let nodes = nodeSet.sorted()
            var tieSet = Set<CouplingGroup.Tie>()
            var gates: [Int] = [], writers: [Int] = [], readers = Set<Int>()
            for id in nodes {
                tieSet.formUnion(ties[id] ?? [])
                switch graph.nodes[id].op {
                case .gate: gates.append(id)
                case .conv, .linear, .input, .zeroPad, .scatter: writers.append(id)
                default: break
                }
                for r in consumers[id] where !nodeSet.contains(r) {
                    switch graph.nodes[r].op {
                    case .conv, .linear: readers.insert(r)
                    case .flatten:
                        for r2 in consumers[r] { if case .linear = graph.nodes[r2].op { readers.insert(r2) } }
                    default: break
                    }
                }
            }
            let members = nodes.map { CouplingGroup.Member(node: $0, channels: ranges(channelsByNode[$0]!.sorted())) }
            return CouplingGroup(width: rows.count, ties: tieSet.isEmpty ? [.chain] : tieSet.sorted(), members: members,
                                 gates: gates, writers: writers, readers: readers.sorted())
        }
    }
}

/// Sorted integers as maximal runs of consecutive values.
func ranges(_ values: [Int]) -> [ClosedRange<Int>] {
    var out: [ClosedRange<Int>] = []
    for v in values {
        if let last = out.last, last.upperBound + 1 == v { out[out.count - 1] = last.lowerBound...v } else { out.append(v...v) }
    }
    return out
}
