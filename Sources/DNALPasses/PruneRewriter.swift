import DNALCore

/// The rewrite behind `pruneGatedChannels`. Every tensor of the original graph gets a physical
/// channel list (`kept`: the original channel indices it still holds, in order); channels not
/// in it are zero in the hard-gated network or read by no one. Nodes are rebuilt in order, and
/// where a reader wants a different list than its producer holds, a gather (fewer), a scatter
/// (more: the missing ones are zero) or both are put in between.
struct PruneRewriter {
    let graph: Graph
    let gates: GateMasks
    let analysis: ChannelAnalysis<Bool>
    /// The original graph's tensors: what each node owns and how its axes are sliced.
    let table: ParameterTable
    var builder: GraphBuilder
    /// Per original node: its channel list, and the new node holding it (nil: no channel left).
    var kept: [[Int]]
    var newID: [Int?]
    /// Names of the original nodes, which added gathers and scatters must not take.
    let originalNames: Set<String>
    var slices: [String: [[Int]]] = [:]
    var zeroedInputs: [String: [Int]] = [:]
    var zeroedEntries: [String: [Int]] = [:]
    var gateMasks: [String: [Float]] = [:]
    /// `.dense`: per node, the channels every tensor of its coupling set keeps (`denseChannels`).
    let denseKept: [[Bool]]?
    /// `.dense`: per conv, its dead output channels (`deadRows`), zeroed where they stay.
    let dead: [Int: [Int]]
    /// Zero-pads not built yet: the new node of their input, and their stride.
    var pendingPads: [Int: (source: Int, stride: Int)] = [:]

    /// Per node, the channels of its coupling set kept anywhere (`denseChannels`): the width every
    /// sum takes, so a trunk keeps one channel list from block to block and only branches are
    /// scattered into it (shortcuts pass as they are).
    let sumWidths: [[Bool]]?

    /// With `denseKept`, the `.dense` rewrite; otherwise index maps, each sum `sumWidths` wide
    /// (without it, as wide as what its inputs keep and its readers need). `hard` is
    /// `hardChannelAnalysis(graph, gates)`, computed once by the caller for both passes.
    init(graph: Graph, gates: GateMasks, hard: (analysis: ChannelAnalysis<Bool>, deadRows: [Int: [Int]]),
         denseKept: [[Bool]]? = nil, sumWidths: [[Bool]]? = nil) {
        self.graph = graph
        self.gates = gates
        self.denseKept = denseKept
        self.sumWidths = sumWidths ?? denseKept
        dead = denseKept == nil ? [:] : hard.deadRows
        analysis = hard.analysis
        table = ParameterTable(graph)
        originalNames = Set(graph.nodes.map(\.name))
        builder = GraphBuilder(input: graph.inputShape, origin: graph.nodes[0].origin)
        kept = [[Int]](repeating: [], count: graph.nodes.count)
        newID = [Int?](repeating: nil, count: graph.nodes.count)
        kept[0] = Array(0..<graph.inputShape.channels)
        newID[0] = 0
    }

    private static func indices(_ flags: [Bool]) -> [Int] { flags.indices.filter { flags[$0] } }

    /// Records the slices of every tensor `node` owns, for a node that keeps output channels
    /// `outputs` and reads input channels `inputs`.
    private mutating func slice(_ node: Node, outputs: [Int], inputs: [Int] = []) {
        for spec in table.specs(of: node.id) { slices[spec.name] = spec.slices(outputs: outputs, inputs: inputs) }
    }

    /// The name of `node`'s tensor of `role`.
    private func tensor(_ node: Node, _ role: ParameterRole) -> String { table.spec(node.id, role)!.name }

    mutating func run() throws(GraphError) -> Graph {
        for node in graph.nodes.dropFirst() {
            do {
                try rewrite(node)
            } catch {
                throw GraphError("pruning '\(node.name)': \(error.message)")
            }
        }
        guard let output = newID[graph.output], kept[graph.output] == Array(0..<graph.classes) else {
            throw GraphError("internal: pruning lost outputs of '\(graph.nodes[graph.output].name)'")
        }
        for node in graph.nodes where node.op == .gate && denseKept == nil {
            let open = Set(Self.indices(gates.keep[node.id]!))
            guard Set(kept[node.id]).isSubset(of: open) else {
                throw GraphError("internal: gate '\(node.name)' keeps closed channels")
            }
        }
        return try builder.finish(name: graph.name, classes: graph.classes, output: output, search: graph.search)
    }

    /// Builds `node`'s replacement (or nothing, when none of its channels is left).
    private mutating func rewrite(_ node: Node) throws(GraphError) {
        let x = node.inputs[0], name = node.name
        switch node.op {
        case .conv(let c):
            let inputWidth = graph.nodes[x].shape.channels
            let depthwise = c.groups > 1 && c.groups == inputWidth && c.groups == c.outChannels
            let rows = denseKept.map { Self.indices($0[node.id]) } ?? Self.indices(analysis.rows[node.id]!)
            guard !rows.isEmpty else { return }
            if depthwise {
                guard Set(rows).isSubset(of: kept[x]) else {
                    if denseKept != nil, kept[x].isEmpty { return }  // its input is gone: nothing to filter
                    throw GraphError("internal: depthwise channels \(channelList(rows)) are not all in its input")
                }
                let source = try convert(x, to: rows, for: name)
                let op = Op.conv(Conv(outChannels: rows.count, kernel: c.kernel, stride: c.stride, padding: c.padding,
                                      groups: rows.count, bias: c.bias, prunable: c.prunable))
                try add(node, op, inputs: [source], kept: rows)
                slice(node, outputs: rows)
            } else {
                // convs that are not pruned (or grouped ones) read every channel, zero where pruned
                let prunable = c.prunable && c.groups == 1
                let reads = prunable ? Self.indices(analysis.columns[node.id]!) : Array(0..<inputWidth)
                // dense: read what the input holds; weights for what the reference does not read are 0
                let columns = denseKept != nil && c.groups == 1 ? kept[x] : reads
                guard !columns.isEmpty else {
                    if denseKept != nil { return }  // dense: its input is gone, so its output is zero
                    throw GraphError("it reads none of its input's channels but its output is still used")
                }
                guard !prunable || Set(reads).isSubset(of: kept[x]) else {
                    throw GraphError("internal: it reads channels its input no longer has")
                }
                let source = try convert(x, to: columns, for: name)
                let op = Op.conv(Conv(outChannels: rows.count, kernel: c.kernel, stride: c.stride, padding: c.padding,
                                      groups: c.groups, bias: c.bias, prunable: c.prunable))
                try add(node, op, inputs: [source], kept: rows)
                slice(node, outputs: rows, inputs: columns)
                let unread = Set(columns).subtracting(reads)
                if !unread.isEmpty { zeroedInputs[tensor(node, .weight)] = columns.indices.filter { unread.contains(columns[$0]) } }
            }
            if let deadRows = dead[node.id] {
                // dense keeps dead channels that share a coupling set with live ones: make them zero
                let position = Dictionary(uniqueKeysWithValues: rows.enumerated().map { ($1, $0) })
                let at = deadRows.compactMap { position[$0] }
                if !at.isEmpty {
                    if c.bias { zeroedEntries[tensor(node, .bias)] = at }
                    let consumers = graph.nodes.filter { $0.inputs.contains(node.id) }
                    if consumers.count == 1, case .batchNorm = consumers[0].op {
                        zeroedEntries[tensor(consumers[0], .normScale)] = at
                        zeroedEntries[tensor(consumers[0], .normShift)] = at
                    }
                }
            }
        case .linear(let l):
            let input = graph.nodes[x].shape
            let reads = Self.indices(analysis.columns[node.id]!)
            guard Set(reads).isSubset(of: kept[x]) else { throw GraphError("internal: it reads features its input no longer has") }
            let columns = denseKept != nil ? kept[x] : reads
            let source = try convert(x, to: columns, for: name)
            try add(node, .linear(l), inputs: [source], kept: Array(0..<l.outFeatures))
            // a [C,H,W] input is flattened (C, H, W order): a kept channel keeps its H*W block
            let spatial = input.isFeatureMap ? input.spatialCount : 1
            slice(node, outputs: [], inputs: columns)
            let unread = Set(columns).subtracting(reads)
            if !unread.isEmpty {
                zeroedInputs[tensor(node, .weight)] = columns.indices.filter { unread.contains(columns[$0]) }
                    .flatMap { k in (0..<spatial).map { k * spatial + $0 } }
            }
        case .batchNorm:
            guard let source = try materialized(x) else { return }
            try add(node, node.op, inputs: [source], kept: kept[x])
            slice(node, outputs: kept[x])
        case .gate:
            let open = gates.keep[node.id]!
            // dense keeps closed channels that share a coupling set with open ones, closed (mask 0)
            let target = denseKept != nil ? kept[x] : kept[x].filter { open[$0] }
            guard !target.isEmpty else { return }
            let source = try convert(x, to: target, for: name)
            try add(node, .gate, inputs: [source], kept: target)
            slice(node, outputs: target)
            gateMasks[tensor(node, .gateMask)] = target.map { open[$0] ? 1 : 0 }
        case .activation, .dropout, .identity, .pool, .globalAvgPool:
            guard let source = try materialized(x) else { return }
            try add(node, node.op, inputs: [source], kept: kept[x])
        case .flatten:
            guard let source = try materialized(x) else { return }
            let spatial = graph.nodes[x].shape.spatialCount
            try add(node, .flatten, inputs: [source], kept: kept[x].flatMap { c in (0..<spatial).map { c * spatial + $0 } })
        case .add(let a):
            try rewriteSum(node, role: a.role)
        case .concat:
            var inputs: [Int] = [], channels: [Int] = [], offset = 0
            for i in node.inputs {
                if let id = try materialized(i) {
                    inputs.append(id)
                    channels += kept[i].map { offset + $0 }
                }
                offset += graph.nodes[i].shape.channels
            }
            if inputs.count == 1 {
                alias(node, to: inputs[0], kept: channels)
            } else if inputs.count > 1 {
                try add(node, .concat, inputs: inputs, kept: channels)
            }
        case .zeroPad(let z):
            // built when a reader asks (`convert`): into a sum it becomes a zero-pad again where
            // the channels it carries stay contiguous there, else a subsample the sum scatters
            guard let source = try materialized(x) else { return }
            pendingPads[node.id] = (source, z.stride)
            kept[node.id] = kept[x].map { z.offset + $0 }
        case .gather(let g):
            let position = Dictionary(uniqueKeysWithValues: kept[x].enumerated().map { ($1, $0) })
            let outputs = g.channels.indices.filter { position[g.channels[$0]] != nil && analysis.needed[node.id][$0] }
            guard !outputs.isEmpty else { return }
            let source = try convert(x, to: outputs.map { g.channels[$0] }, for: name)
            alias(node, to: source, kept: outputs)
        case .scatter(let s):
            let inputs = kept[x].filter { analysis.needed[node.id][s.channels[$0]] }
            guard !inputs.isEmpty else { return }
            let source = try convert(x, to: inputs, for: name)
            alias(node, to: source, kept: inputs.map { s.channels[$0] })
        case .input:
            break
        }
    }

    /// A residual or candidate sum: its width is what its inputs hold that a reader needs; each
    /// input is scattered into it. Inputs with nothing left drop out; a sum of one input is that
    /// input (a block reduced to its shortcut, a layer with one surviving op).
    private mutating func rewriteSum(_ node: Node, role: Add.Role) throws(GraphError) {
        let needed = analysis.needed[node.id]
        // the whole coupling set (`sumWidths`), also where only a later or a removed (dead) branch
        // writes; a zero-pad shortcut then pads into it
        let present = node.inputs.contains { !kept[$0].isEmpty }
        let target: [Int]
        if let sumWidths, present {
            target = Self.indices(sumWidths[node.id])
        } else {
            target = Set(node.inputs.flatMap { kept[$0] }).filter { needed[$0] }.sorted()
        }
        guard !target.isEmpty else { return }
        let wanted = Set(target)
        var inputs: [Int] = []
        for (k, i) in node.inputs.enumerated() where kept[i].contains(where: wanted.contains) {
            inputs.append(try convert(i, to: target, for: node.name, input: node.inputs.count > 1 ? k : nil))
        }
        if inputs.count == 1 {
            alias(node, to: inputs[0], kept: target)
        } else {
            try add(node, .add(Add(role: role)), inputs: inputs, kept: target)
        }
    }

    /// The new node holding original node `x`'s channels `target`: `x`'s own, or a gather and/or
    /// scatter of it (named after the reader, `input` telling a sum's inputs apart).
    private mutating func convert(_ x: Int, to target: [Int], for reader: String, input: Int? = nil) throws(GraphError) -> Int {
        let have = kept[x]
        let position = Dictionary(uniqueKeysWithValues: have.enumerated().map { ($1, $0) })
        let common = target.filter { position[$0] != nil }
        if let pad = pendingPads[x] {
            let slot = Dictionary(uniqueKeysWithValues: target.enumerated().map { ($1, $0) })
            if common == have, let first = slot[have[0]], have.indices.allSatisfy({ slot[have[$0]] == first + $0 }) {
                // the channels land side by side: a zero-pad into the target's width does it all
                let op = Op.zeroPad(ZeroPad(outChannels: target.count, stride: pad.stride, offset: first))
                let name = graph.nodes[x].name
                return try builder.add(builder.contains(name: name) ? unique(name) : name, op, inputs: [pad.source],
                                       origin: graph.nodes[x].origin)
            }
        }
        guard let source = try materialized(x) else {
            throw GraphError("internal: it reads '\(graph.nodes[x].name)', which pruning removed")
        }
        if have == target { return source }
        if denseKept != nil, !isChannelMap(reader), !isChannelMap(graph.nodes[x].name) {
            throw GraphError("internal: dense pruning would need a channel map between '\(graph.nodes[x].name)' and '\(reader)'")
        }
        let base = reader + (input.map { ".in\($0)" } ?? "")
        var id = source
        if common != have {
            id = try builder.add(unique(base + ".gather"), .gather(Gather(channels: common.map { position[$0]! })), inputs: [id])
        }
        if common != target {
            let slot: [Int: Int] = Dictionary(uniqueKeysWithValues: target.enumerated().map { ($1, $0) })
            id = try builder.add(unique(base + ".scatter"), .scatter(Scatter(channels: common.map { slot[$0]! }, outChannels: target.count)),
                                 inputs: [id])
        }
        return id
    }

    /// Whether `name` is a gather or scatter of the original network: dense mode adds no channel
    /// map, but keeps (rebuilds) the ones a network that was pruned before already has.
    private func isChannelMap(_ name: String) -> Bool {
        guard let node = graph.node(named: name) else { return false }
        switch node.op {
        case .gather, .scatter: return true
        default: return false
        }
    }

    /// The new node holding `x`'s channels (`kept[x]`), building a pending zero-pad as a plain
    /// subsample; nil when none is left.
    private mutating func materialized(_ x: Int) throws(GraphError) -> Int? {
        if let pad = pendingPads.removeValue(forKey: x) {
            let name = graph.nodes[x].name
            newID[x] = pad.stride == 1 ? pad.source
                : try builder.add(builder.contains(name: name) ? unique(name) : name,
                                  .zeroPad(ZeroPad(outChannels: kept[x].count, stride: pad.stride, offset: 0)),
                                  inputs: [pad.source], origin: graph.nodes[x].origin)
        }
        return newID[x]
    }

    private func unique(_ name: String) -> String {
        var candidate = name, k = 1
        while builder.contains(name: candidate) || originalNames.contains(candidate) {
            k += 1
            candidate = name + "\(k)"
        }
        return candidate
    }

    private mutating func add(_ node: Node, _ op: Op, inputs: [Int], kept channels: [Int]) throws(GraphError) {
        newID[node.id] = try builder.add(node.name, op, inputs: inputs, origin: node.origin)
        kept[node.id] = channels
    }

    /// `node` needs no node of its own: it is `id` under its own name's channel list.
    private mutating func alias(_ node: Node, to id: Int, kept channels: [Int]) {
        newID[node.id] = id
        kept[node.id] = channels
    }
}
