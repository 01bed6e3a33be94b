/// One operation in a graph, with its inferred output shape.
public struct Node: Sendable, CustomStringConvertible {
    /// Index of the node in `Graph.nodes`; inputs always have smaller indices.
    public let id: Int
    /// Unique, dotted hierarchical name (`stage2.0.conv1.bn`); weights are keyed by it.
    public let name: String
    /// What the node computes.
    public let op: Op
    /// Producers of the inputs, in order.
    public let inputs: [Int]
    /// Output shape per sample.
    public let shape: Shape
    /// The DSL line the node was written on, if it came from a file. Not part of equality.
    public let origin: SourceLocation?

    public init(id: Int, name: String, op: Op, inputs: [Int], shape: Shape, origin: SourceLocation? = nil) {
        self.id = id
        self.name = name
        self.op = op
        self.inputs = inputs
        self.shape = shape
        self.origin = origin
    }

    public var description: String { "\(name) = \(op.kindName) -> \(shape)" }
}

extension Node: Equatable {
    /// Equal when everything but the source location is equal.
    public static func == (a: Node, b: Node) -> Bool {
        a.id == b.id && a.name == b.name && a.op == b.op && a.inputs == b.inputs && a.shape == b.shape
    }
}
