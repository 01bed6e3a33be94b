/// The invariants every graph keeps, before and after every pass:
/// 1. node i has id i; node 0, and only node 0, is the input;
/// 2. names are unique and spelled with letters, digits, `_`, `-` and `.`;
/// 3. every input is an earlier node (so the graph is acyclic and topologically ordered);
/// 4. every stored shape equals the one shape inference gives;
/// 5. the output is `[classes]`;
/// 6. every node contributes to the output.
///
/// Returns the violations found, empty for a valid graph.
public func verify(_ graph: Graph) -> [GraphError] {
    var errors: [GraphError] = []
    var seen = Set<String>()
    for (i, n) in graph.nodes.enumerated() {
        if n.id != i { errors.append(GraphError("node '\(n.name)' has id \(n.id) at position \(i)")) }
        if case .input = n.op, i != 0 { errors.append(GraphError("node '\(n.name)' is a second input")) }
        if i == 0, n.op != .input { errors.append(GraphError("node 0 '\(n.name)' is not the input")) }
        if !seen.insert(n.name).inserted { errors.append(GraphError("duplicate layer name '\(n.name)'")) }
        if !isValidLayerName(n.name) { errors.append(GraphError("invalid layer name '\(n.name)'")) }
        if let bad = n.inputs.first(where: { $0 < 0 || $0 >= i }) {
            errors.append(GraphError("node '\(n.name)' reads node \(bad), which is not earlier"))
            continue
        }
        if i == 0 { continue }
        do {
            let inferred = try n.op.outputShape(inputs: n.inputs.map { (graph.nodes[$0].name, graph.nodes[$0].shape) })
            if inferred != n.shape {
                errors.append(GraphError("node '\(n.name)' stores shape \(n.shape) but its inputs give \(inferred)"))
            }
        } catch {
            errors.append(GraphError("node '\(n.name)': \(error.message)"))
        }
    }
    if graph.output <= 0 || graph.output >= graph.nodes.count {
        errors.append(GraphError("output index \(graph.output) is not a layer"))
        return errors
    }
    if graph.nodes[graph.output].shape != Shape(features: graph.classes) {
        errors.append(GraphError("output '\(graph.nodes[graph.output].name)' is \(graph.nodes[graph.output].shape), expected [\(graph.classes)]"))
    }
    for id in unusedNodes(graph) {
        errors.append(GraphError("layer '\(graph.nodes[id].name)' does not contribute to the output"))
    }
    return errors
}

/// Ids of nodes from which the output cannot be reached, in increasing order.
public func unusedNodes(_ graph: Graph) -> [Int] {
    var live = Array(repeating: false, count: graph.nodes.count)
    guard graph.output >= 0, graph.output < live.count else { return [] }
    live[graph.output] = true
    // Positions, not ids: the verifier calls this on graphs whose ids may be wrong.
    for position in graph.nodes.indices.reversed() where live[position] {
        for i in graph.nodes[position].inputs where i >= 0 && i < live.count { live[i] = true }
    }
    return live.indices.filter { !live[$0] }
}

/// Whether `name` is a legal layer name: non-empty, made of letters, digits, `_`, `-`, `.`,
/// and not starting or ending with a dot.
public func isValidLayerName(_ name: String) -> Bool {
    guard !name.isEmpty, !name.hasPrefix("."), !name.hasSuffix("."), !name.contains("..") else { return false }
    return name.unicodeScalars.allSatisfy { s in
        (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || s == "_" || s == "-" || s == "."
    }
}
