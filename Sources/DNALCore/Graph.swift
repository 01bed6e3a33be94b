/// A network: a topologically ordered list of nodes with inferred shapes, node 0 the input.
///
/// Built only through `GraphBuilder`, so every graph in memory has passed shape inference;
/// `verify(_:)` re-checks the invariants after passes rewrite it.
public struct Graph: Sendable, Equatable {
    /// The network's name (the DSL's `network:`).
    public let name: String
    /// Number of classes; the output must be `[classes]`.
    public let classes: Int
    /// Nodes in topological order; `nodes[i].id == i`.
    public let nodes: [Node]
    /// The node whose output is the network's output (the logits).
    public let output: Int
    /// DNAL settings this network defaults to (the DSL's `search:` section).
    public let search: SearchConfig
    private let indexByName: [String: Int]

    init(name: String, classes: Int, nodes: [Node], output: Int, search: SearchConfig) {
        self.name = name
        self.classes = classes
        self.nodes = nodes
        self.output = output
        self.search = search
        var index: [String: Int] = [:]
        for n in nodes { index[n.name] = n.id }
        indexByName = index
    }

    /// The input shape `[C,H,W]`.
    public var inputShape: Shape { nodes[0].shape }

    /// Channels over all gates: what "N of M gate channels kept" counts.
    public var gateChannels: Int { nodes.filter { $0.op == .gate }.reduce(0) { $0 + $1.shape.channels } }

    /// The node called `name`, if any.
    public func node(named name: String) -> Node? {
        indexByName[name].map { nodes[$0] }
    }

    /// For each node, the ids of the nodes that read it, in increasing order.
    public func consumers() -> [[Int]] {
        var result = Array(repeating: [Int](), count: nodes.count)
        for n in nodes {
            for i in n.inputs where result[i].last != n.id { result[i].append(n.id) }
        }
        return result
    }

    public static func == (a: Graph, b: Graph) -> Bool {
        a.name == b.name && a.classes == b.classes && a.nodes == b.nodes && a.output == b.output
            && a.search == b.search
    }
}
