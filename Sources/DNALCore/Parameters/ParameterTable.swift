/// Every parameter and buffer of a graph, in node order: the one place that says which tensors
/// each op owns (Grammar.md, "Weights files"). Lowering allocates from it, the safetensors reader
/// and writer name and lay out tensors by it, the pruner slices by its axes, phase 3's weight
/// masks and ONNX export find tensors through it.
public struct ParameterTable: Sendable {
    /// All tensors, node by node, each node's in role order.
    public let specs: [ParameterSpec]
    private let index: [Key: Int]
    private let byName: [String: Int]

    private struct Key: Hashable { var node: Int, role: ParameterRole }

    /// The table of `graph`.
    public init(_ graph: Graph) {
        var specs: [ParameterSpec] = []
        for node in graph.nodes.dropFirst() {
            specs += Self.specs(of: node, input: graph.nodes[node.inputs[0]].shape)
        }
        self.specs = specs
        var index: [Key: Int] = [:], byName: [String: Int] = [:]
        for (i, s) in specs.enumerated() {
            index[Key(node: s.node, role: s.role)] = i
            byName[s.name] = i
        }
        self.index = index
        self.byName = byName
    }

    /// The tensor of `role` that node `node` owns, if it has one.
    public func spec(_ node: Int, _ role: ParameterRole) -> ParameterSpec? {
        index[Key(node: node, role: role)].map { specs[$0] }
    }

    /// The tensor called `name`, if any.
    public func spec(named name: String) -> ParameterSpec? { byName[name].map { specs[$0] } }

    /// The tensors of node `node`.
    public func specs(of node: Int) -> [ParameterSpec] { specs.filter { $0.node == node } }

    /// What `node` owns, given its input's shape.
    public static func specs(of node: Node, input x: Shape) -> [ParameterSpec] {
        func spec(_ role: ParameterRole, _ group: ParameterGroup, _ shape: [Int], _ axes: [ChannelAxis],
                  _ layout: StorageLayout = .pytorch) -> ParameterSpec {
            ParameterSpec(node: node.id, layer: node.name, role: role, group: group, shape: shape, axes: axes, layout: layout)
        }
        switch node.op {
        case .conv(let c):
            // a grouped (or depthwise) conv reads every channel of its group: its columns stay whole
            let weight = spec(.weight, .conv, [c.outChannels, x.channels / c.groups, c.kernel, c.kernel],
                              [.outputs, c.groups == 1 ? .inputs : .fixed, .fixed, .fixed], .convTapsFirst)
            return c.bias ? [weight, spec(.bias, .conv, [c.outChannels], [.outputs])] : [weight]
        case .linear(let l):
            let spatial = x.isFeatureMap ? x.spatialCount : 1
            let weight = spec(.weight, .linear, [l.outFeatures, x.elementCount], [.fixed, .inputFeatures(spatial: spatial)],
                              .linearInputsFirst)
            return l.bias ? [weight, spec(.bias, .linear, [l.outFeatures], [.fixed])] : [weight]
        case .batchNorm:
            let group: ParameterGroup = x.isFeatureMap ? .batchNorm2d : .batchNorm1d
            return [ParameterRole.normScale, .normShift, .runningMean, .runningVariance].map {
                spec($0, group, [x.channels], [.outputs])
            }
        case .gate:
            return [spec(.gateAlpha, .alpha, [x.channels], [.outputs]), spec(.gateMask, .alpha, [x.channels], [.outputs])]
        case .input, .activation, .pool, .globalAvgPool, .dropout, .flatten, .add, .concat, .identity, .zeroPad,
             .gather, .scatter:
            return []
        }
    }
}
