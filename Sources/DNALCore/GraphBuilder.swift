/// Builds a `Graph` node by node, inferring each shape as it goes so that wiring errors surface at
/// the line that caused them.
public struct GraphBuilder: Sendable {
    private var nodes: [Node] = []
    private var idByName: [String: Int] = [:]
    /// Upper bound on nodes, so a runaway `repeat` or template fails with a message instead of
    /// exhausting memory or minutes of analysis (fuzzing found a 2 KB file expanding to 430,000
    /// nodes). The largest paper network has 1,297; 100,000 keeps every pass within seconds.
    public static let maxNodes = 100_000

    /// Starts a graph whose node 0 is the input, called `input`.
    public init(input: Shape, origin: SourceLocation? = nil) {
        nodes.append(Node(id: 0, name: "input", op: .input, inputs: [], shape: input, origin: origin))
        idByName["input"] = 0
    }

    /// Nodes added so far.
    public var count: Int { nodes.count }

    /// The node with id `id`.
    public func node(_ id: Int) -> Node { nodes[id] }

    /// Whether `name` is already taken.
    public func contains(name: String) -> Bool { idByName[name] != nil }

    /// The id of the node called `name`, if any.
    public func id(named name: String) -> Int? { idByName[name] }

    /// Appends a node reading `inputs` and returns its id.
    /// - Throws: `GraphError` for a duplicate or empty name, an unknown input id, or any shape rule
    ///   the op breaks.
    @discardableResult
    public mutating func add(_ name: String, _ op: Op, inputs: [Int],
                             origin: SourceLocation? = nil) throws(GraphError) -> Int {
        guard !name.isEmpty else { throw GraphError("a layer name must not be empty") }
        if let other = idByName[name] {
            var message = "duplicate layer name '\(name)'"
            if let at = nodes[other].origin { message += " (first defined at \(at))" }
            throw GraphError(message)
        }
        guard nodes.count < Self.maxNodes else {
            throw GraphError("the network has more than \(Self.maxNodes) nodes")
        }
        for i in inputs where i < 0 || i >= nodes.count {
            throw GraphError("'\(name)' reads node \(i), which does not exist yet")
        }
        try op.checkAttributes()
        let shape = try op.outputShape(inputs: inputs.map { (nodes[$0].name, nodes[$0].shape) })
        if let first = inputs.first { try op.checkSizes(input: nodes[first].shape, output: shape) }
        let id = nodes.count
        nodes.append(Node(id: id, name: name, op: op, inputs: inputs, shape: shape, origin: origin))
        idByName[name] = id
        return id
    }

    /// Finishes the graph with `output` as its result, which must be `[classes]`.
    public func finish(name: String, classes: Int, output: Int,
                       search: SearchConfig = SearchConfig()) throws(GraphError) -> Graph {
        guard output > 0, output < nodes.count else { throw GraphError("the network has no layers") }
        let shape = nodes[output].shape
        guard shape == Shape(features: classes) else {
            throw GraphError("the network's output '\(nodes[output].name)' is \(shape), but classes: \(classes) needs [\(classes)]")
        }
        return Graph(name: name, classes: classes, nodes: nodes, output: output, search: search)
    }
}
