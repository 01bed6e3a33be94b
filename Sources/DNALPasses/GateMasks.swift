import DNALCore

/// Which channels each gate keeps: the binary masks a search derives (sigmoid(beta*alpha) >
/// threshold) or a masks file gives. Keyed by gate node id.
public struct GateMasks: Sendable, Equatable {
    public var keep: [Int: [Bool]]

    public init(keep: [Int: [Bool]]) {
        self.keep = keep
    }

    /// Every gate of `graph` keeping every channel.
    public static func allOpen(_ graph: Graph) -> GateMasks {
        var keep: [Int: [Bool]] = [:]
        for n in graph.nodes where n.op == .gate { keep[n.id] = Array(repeating: true, count: n.shape.channels) }
        return GateMasks(keep: keep)
    }

    /// Checks the masks against `graph`: one mask per gate, of the gate's width.
    public func validate(for graph: Graph) throws(GraphError) {
        for n in graph.nodes where n.op == .gate {
            guard let k = keep[n.id] else { throw GraphError("no mask for gate '\(n.name)'") }
            guard k.count == n.shape.channels else {
                throw GraphError("the mask of gate '\(n.name)' has \(k.count) channels, the gate has \(n.shape.channels)")
            }
        }
        for id in keep.keys where id < 0 || id >= graph.nodes.count || graph.nodes[id].op != .gate {
            throw GraphError("a mask is given for node \(id), which is not a gate")
        }
    }

    /// Kept channels over all gates.
    public var keptChannels: Int { keep.values.reduce(0) { $0 + $1.filter { $0 }.count } }
}
