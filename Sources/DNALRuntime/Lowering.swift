import DNALCore
import DNALKernels

/// IR -> plan: one step per node (node 0, the input, has none), addressing the parameters and
/// buffers of the graph's `ParameterTable` by name. The only place that knows both the IR and the
/// kernels.
struct Lowering {
    var steps: [Step] = []
    /// Every tensor the steps address.
    let table: ParameterTable
    /// The scatter nodes each sum step took in (by the sum step's node): per input, the
    /// scatter's node id and name, or nil for an input of the sum's own width.
    var absorbedScatters: [Int: [(node: Int, name: String)?]] = [:]

    /// Lowers `graph`; with `fuse`, every conv -> bn -> [gate] -> [relu/relu6] chain whose inner
    /// nodes have a single reader becomes one step.
    init(_ graph: Graph, fuse: Bool = true) {
        table = ParameterTable(graph)
        let consumers = graph.consumers()
        var absorbed = Set<Int>()
        // a scatter whose only reader is a sum is added straight into it (no zero-filled copy)
        var scatterInto: [Int: Int] = [:]
        for node in graph.nodes {
            guard case .scatter = node.op, node.id != graph.output, consumers[node.id].count == 1,
                  case .add = graph.nodes[consumers[node.id][0]].op else { continue }
            scatterInto[node.id] = consumers[node.id][0]
            absorbed.insert(node.id)
        }
        for node in graph.nodes.dropFirst() where !absorbed.contains(node.id) {
            if case .add = node.op, node.shape.isFeatureMap {
                // a sum takes in the scatters that feed only it, and (with `fuse`) the activation
                // that is its only reader, as residual blocks end
                var last = node.id, activation = FusedNormKernel.Activation.none
                if fuse, node.id != graph.output, consumers[node.id].count == 1,
                   case .activation(let a) = graph.nodes[consumers[node.id][0]].op {
                    last = consumers[node.id][0]
                    activation = a == .relu6 ? .relu6 : .relu
                    absorbed.insert(last)
                }
                let inputs = node.inputs.map { scatterInto[$0] != nil ? graph.nodes[$0].inputs[0] : $0 }
                let scatters: [[Int32]?] = node.inputs.map { i in
                    guard scatterInto[i] != nil, case .scatter(let s) = graph.nodes[i].op else { return nil }
                    return s.channels.map { Int32($0) }
                }
                absorbedScatters[last] = node.inputs.map { scatterInto[$0] != nil ? ($0, graph.nodes[$0].name) : nil }
                steps.append(Step(node: last, name: node.name, inputs: inputs,
                                  kind: .scatterAdd(pixels: node.shape.spatialCount, channels: node.shape.channels,
                                                    scatters: scatters, activation: activation),
                                  outputCount: node.shape.elementCount, macs: 0))
                continue
            }
            let x = graph.nodes[node.inputs[0]].shape
            if fuse, case .conv = node.op, let chain = fusibleChain(from: node.id, graph: graph, consumers: consumers) {
                absorbed.formUnion(chain)
                appendFused(chain, input: x, graph: graph)
                continue
            }
            let kind = lower(node, input: x, graph: graph)
            var macs = 0
            if case .conv(let g, _, _) = kind { macs = g.macs }
            if case .linear(let i, let o, _, _, _) = kind { macs = i * o }
            steps.append(Step(node: node.id, name: node.name, inputs: node.inputs, kind: kind,
                              outputCount: node.shape.elementCount, macs: macs))
        }
        // a gather of the sum computed just before it hands its gradient to that sum's backward
        // pass, which walks the trunk's gradient anyway (a pruned ResNet's next block)
        for i in steps.indices.dropFirst() {
            if case .gather = steps[i].kind, case .scatterAdd = steps[i - 1].kind, steps[i].inputs[0] == steps[i - 1].node {
                steps[i].fusedWithProducer = true
            }
        }
    }

    /// Training: a residual sum whose trunk is an earlier sum read by nothing else (but the
    /// gathers that sum computes with itself) writes its result over that trunk. A sum's backward
    /// pass reads neither its inputs nor its output (its slopes are bits), so the old trunk is
    /// dead once the sum has read it, and a stage's blocks then share one trunk tensor, which
    /// stays in cache instead of a fresh one per block.
    mutating func sumsInPlace(output: Int) {
        let (readers, position) = readersAndPositions()
        for i in steps.indices {
            // (with an activation: its backward then writes the trunk's gradient in its own pass)
            guard case .scatterAdd(_, _, let scatters, let activation) = steps[i].kind, activation != .none, steps[i].inputs.count == 2,
                  let k = scatters.firstIndex(where: { $0 == nil }), scatters[1 - k] != nil else { continue }
            let trunk = steps[i].inputs[k]
            guard trunk != 0, trunk != output, let p = position[trunk], case .scatterAdd = steps[p].kind,
                  steps[p].outputCount == steps[i].outputCount,
                  readers[trunk, default: []].allSatisfy({ $0 == i || steps[$0].fusedWithProducer }) else { continue }
            steps[i].inPlaceOf = trunk
        }
    }

    /// The steps (positions, each once) that read each node's tensor, and each step's position
    /// by its node.
    func readersAndPositions() -> (readers: [Int: [Int]], position: [Int: Int]) {
        var readers: [Int: [Int]] = [:]
        for (i, step) in steps.enumerated() {
            for input in Set(step.inputs) { readers[input, default: []].append(i) }
        }
        return (readers, Dictionary(uniqueKeysWithValues: steps.enumerated().map { ($0.element.node, $0.offset) }))
    }

    /// conv, bn[, gate][, activation] when each node is the only reader of the previous one and
    /// none but the last is the network's output.
    private func fusibleChain(from conv: Int, graph: Graph, consumers: [[Int]]) -> [Int]? {
        func next(_ id: Int) -> Int? {
            consumers[id].count == 1 && id != graph.output ? consumers[id][0] : nil
        }
        guard let bn = next(conv), case .batchNorm = graph.nodes[bn].op, graph.nodes[bn].shape.isFeatureMap else { return nil }
        var chain = [conv, bn]
        if let g = next(bn), case .gate = graph.nodes[g].op { chain.append(g) }
        if let a = next(chain.last!), case .activation = graph.nodes[a].op { chain.append(a) }
        return chain
    }

    private mutating func appendFused(_ chain: [Int], input x: Shape, graph: Graph) {
        let conv = graph.nodes[chain[0]], bn = graph.nodes[chain[1]]
        guard case .conv(let g, let w, let b) = lower(conv, input: x, graph: graph),
              case .batchNorm(_, _, let gamma, let shift, let mean, let variance, let eps, let momentum) =
                lower(bn, input: conv.shape, graph: graph) else { preconditionFailure("not a conv -> bn chain") }
        var gate: Step.GateNames?
        var activation = FusedNormKernel.Activation.none
        for id in chain.dropFirst(2) {
            switch lower(graph.nodes[id], input: graph.nodes[id].shape, graph: graph) {
            case .gate(_, _, let alpha, let mask): gate = Step.GateNames(alpha: alpha, mask: mask)
            case .activation(let relu6): activation = relu6 ? .relu6 : .relu
            default: preconditionFailure("unexpected node in a fused chain")
            }
        }
        let last = graph.nodes[chain.last!]
        let norm = Step.Norm(gamma: gamma, shift: shift, mean: mean, variance: variance, epsilon: eps, momentum: momentum)
        steps.append(Step(node: last.id, name: conv.name, inputs: conv.inputs,
                          kind: .convBlock(Step.ConvBlock(geometry: g, weight: w, bias: b, norm: norm, gate: gate,
                                                          activation: activation, convNode: conv.id)),
                          outputCount: last.shape.elementCount, macs: g.macs))
    }

    private func lower(_ node: Node, input x: Shape, graph: Graph) -> Step.Kind {
        func name(_ role: ParameterRole) -> String { table.spec(node.id, role)!.name }
        func optional(_ role: ParameterRole) -> String? { table.spec(node.id, role)?.name }
        switch node.op {
        case .input:
            preconditionFailure("the input has no step")
        case .conv(let c):
            let g = ConvGeometry(batch: 1, inHeight: x.height, inWidth: x.width, inChannels: x.channels,
                                 outChannels: c.outChannels, kernel: c.kernel, stride: c.stride, padding: c.padding,
                                 groups: c.groups)
            return .conv(g, weight: name(.weight), bias: optional(.bias))
        case .linear(let l):
            let chw = x.isFeatureMap && x.spatialCount > 1 ? (x.spatialCount, x.channels) : nil
            return .linear(inFeatures: x.elementCount, outFeatures: l.outFeatures, weight: name(.weight),
                           bias: optional(.bias), chw: chw)
        case .batchNorm(let b):
            return .batchNorm(pixels: x.spatialCount, channels: x.channels, gamma: name(.normScale), shift: name(.normShift),
                              mean: name(.runningMean), variance: name(.runningVariance),
                              epsilon: Float(b.epsilon), momentum: Float(b.momentum))
        case .gate:
            return .gate(pixels: x.spatialCount, channels: x.channels, alpha: name(.gateAlpha), mask: name(.gateMask))
        case .activation(let a):
            return .activation(relu6: a == .relu6)
        case .pool(let p):
            let g = PoolKernel.Geometry(batch: 1, height: x.height, width: x.width, channels: x.channels,
                                        kernel: p.kernel, stride: p.stride, padding: p.padding)
            return p.kind == .max ? .maxPool(g) : .avgPool(g)
        case .globalAvgPool:
            return .globalAvgPool(pixels: x.spatialCount, channels: x.channels)
        case .flatten:
            return x.isFeatureMap && x.spatialCount > 1 ? .flatten(pixels: x.spatialCount, channels: x.channels) : .identity
        case .add:
            return .add
        case .concat:
            return .concat(pixels: x.spatialCount, channels: node.inputs.map { graph.nodes[$0].shape.channels })
        case .zeroPad(let z):
            return .zeroPad(height: x.height, width: x.width, inChannels: x.channels, stride: z.stride,
                            outChannels: z.outChannels, offset: z.offset)
        case .gather(let g):
            return .gather(pixels: x.spatialCount, inChannels: x.channels, index: g.channels.map { Int32($0) })
        case .scatter(let s):
            return .scatter(pixels: x.spatialCount, outChannels: s.outChannels, index: s.channels.map { Int32($0) })
        case .dropout(let d):
            return .dropout(Float(d.probability))
        case .identity:
            return .identity
        }
    }
}
