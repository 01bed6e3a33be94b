import DNALCore

/// Turns the `layers:` tree into graph nodes: expands templates and repeats, evaluates
/// expressions, resolves named references, names every node, and reports each error at the
/// YAML value that caused it (with the chain of template uses as notes).
final class Elaborator {
    /// A naming and lookup scope: the top level, a block, a template instance or a repeat iteration.
    struct Scope {
        /// Prepended to local names: "" at the top, "stage1.0." inside an iteration.
        var prefix: String
        /// What `from: input` means here.
        var input: Int
        /// Expression variables visible here.
        var variables: [String: ExpressionValue]
        /// Items seen so far per op, for automatic names (`conv3`).
        var counters: [String: Int] = [:]
    }

    /// One parsed layer item: `op: {attributes}` or a bare `op`.
    struct Item {
        var op: String
        var opNode: YAMLNode
        var attributes: [String: YAMLPair]
        var node: YAMLNode
    }

    let file: String
    var builder = GraphBuilder(input: Shape(channels: 1, height: 1, width: 1))
    var templates: [String: Template] = [:]
    var defaults: [String: [String: YAMLPair]] = [:]
    var widthMultiplier = 1.0
    var widthDivisor = 8
    /// Every literal `name:` in the file, so a reference to a later layer gets a precise message.
    var declaredNames: Set<String> = []
    var scopes: [Scope] = [Scope(prefix: "", input: 0, variables: [:])]
    var namedOutputs: [String: Int] = [:]
    /// Template uses currently being expanded, outermost first.
    var instantiations: [(template: String, at: SourceLocation)] = []
    /// `gate:` of the enclosing blocks, innermost last: the default for convs that do not say.
    var blockGates: [Bool] = []

    /// An elaborator for `file`; the header is read first, then `begin` starts the graph.
    init(file: String) {
        self.file = file
    }

    /// Starts the graph at the network input, with `globals` visible everywhere.
    func begin(input: Shape, at node: YAMLNode, globals: [String: ExpressionValue]) {
        builder = GraphBuilder(input: input, origin: location(node))
        scopes = [Scope(prefix: "", input: 0, variables: globals)]
        namedOutputs = [:]
    }

    var scope: Scope {
        get { scopes[scopes.count - 1] }
        set { scopes[scopes.count - 1] = newValue }
    }

    func location(_ node: YAMLNode, columnOffset: Int = 0) -> SourceLocation {
        SourceLocation(file: file, line: node.line, column: node.column + columnOffset)
    }

    /// An error at `node`, with a note for each template use being expanded (innermost first).
    func diagnostic(_ message: String, at node: YAMLNode, columnOffset: Int = 0) -> Diagnostic {
        var d = Diagnostic(message, at: location(node, columnOffset: columnOffset))
        for use in instantiations.reversed() {
            d.notes.append((use.at, "in template '\(use.template)' used here"))
        }
        return d
    }

    /// Runs `body` inside a new scope and pops it afterwards, whatever happens.
    func withScope<T>(prefix: String, input: Int, variables: [String: ExpressionValue],
                      _ body: () throws(Diagnostic) -> T) throws(Diagnostic) -> T {
        scopes.append(Scope(prefix: prefix, input: input, variables: variables))
        defer { scopes.removeLast() }
        return try body()
    }

    /// Adds a node, turning shape and wiring errors into diagnostics at `node`.
    @discardableResult
    func add(_ name: String, _ op: Op, inputs: [Int], at node: YAMLNode) throws(Diagnostic) -> Int {
        do {
            return try builder.add(name, op, inputs: inputs, origin: location(node))
        } catch {
            throw diagnostic("'\(name)': \(error.message)", at: node)
        }
    }

    /// Elaborates a list of items, chaining each one's output into the next; returns the last output.
    /// A list with a single item gives that item `singleName` unless it names itself.
    func elaborateList(_ items: [YAMLNode], input: Int, singleName: String? = nil) throws(Diagnostic) -> Int {
        var current = input
        for item in items {
            if let out = try elaborateItem(item, previous: current, forcedName: items.count == 1 ? singleName : nil) {
                current = out
            }
        }
        return current
    }

    /// Elaborates one item; nil when its `when:` is false.
    func elaborateItem(_ node: YAMLNode, previous: Int, forcedName: String?) throws(Diagnostic) -> Int? {
        let item = try parseItem(node)
        let template = templates[item.op]
        let allowed: [String]
        if let template {
            allowed = Schema.commonKeys + template.params.map(\.name)
        } else if let own = Schema.opKeys[item.op] {
            allowed = Schema.commonKeys + own
        } else {
            var message = "unknown op '\(item.op)'"
            if let near = closestMatch(to: item.op, in: Schema.opNames + templates.keys.sorted()) {
                message += "; did you mean '\(near)'?"
            }
            throw diagnostic(message, at: item.opNode)
        }
        for (key, pair) in item.attributes where !allowed.contains(key) {
            let what = template != nil ? "template '\(item.op)' has no parameter" : "\(item.op) has no attribute"
            var message = "\(what) '\(key)'"
            if let near = closestMatch(to: key, in: allowed) { message += "; did you mean '\(near)'?" }
            throw diagnostic(message, at: pair.key)
        }

        let isMulti = Schema.multiInputOps.contains(item.op)
        let input = isMulti ? previous : try singleInput(item, previous: previous)
        var variables = scope.variables
        variables["in"] = .int(builder.node(input).shape.channels)
        let attributes = Attributes(op: item.op, anchor: item.opNode, own: item.attributes,
                                    defaults: defaults[item.op] ?? [:], variables: variables, elaborator: self)
        if try !attributes.bool("when", default: true) { return nil }

        let count = (scope.counters[item.op] ?? 0) + 1
        scope.counters[item.op] = count
        let name: String
        if let explicit = try attributes.string("name") {
            guard isValidLayerName(explicit) else {
                throw diagnostic("invalid layer name '\(explicit)': use letters, digits, '_' and '-', with single dots between parts",
                                 at: attributes.node("name")!)
            }
            name = scope.prefix + explicit
        } else {
            name = forcedName ?? scope.prefix + item.op + String(count)
        }

        let output: Int
        if let template {
            output = try instantiate(template, item: item, attributes: attributes, input: input, name: name)
        } else if isMulti {
            output = try elaborateMerge(item, attributes: attributes, name: name)
        } else if Schema.blockOps.contains(item.op), attributes.own["gate"] != nil {
            blockGates.append(try attributes.bool("gate", default: false))
            defer { blockGates.removeLast() }
            output = try elaborateOp(item, attributes: attributes, input: input, name: name)
        } else {
            output = try elaborateOp(item, attributes: attributes, input: input, name: name)
        }
        namedOutputs[name] = output
        return output
    }

    /// `op: {attributes}`, `op: ~` or a bare `op`.
    func parseItem(_ node: YAMLNode) throws(Diagnostic) -> Item {
        switch node.kind {
        case .scalar(let text, _):
            guard !node.isNull else { throw diagnostic("empty layer item; expected an op such as 'conv: {out: 64}'", at: node) }
            return Item(op: text, opNode: node, attributes: [:], node: node)
        case .sequence:
            throw diagnostic("expected a layer such as 'conv: {out: 64}', got a list", at: node)
        case .mapping(let pairs):
            guard let first = pairs.first else {
                throw diagnostic("empty layer item; expected an op such as 'conv: {out: 64}'", at: node)
            }
            guard pairs.count == 1 else {
                throw diagnostic("a layer is written 'op: {attributes}'; this item also has '\(pairs[1].name)' "
                                 + "beside '\(first.name)' (put it inside the attributes, check the indentation)", at: pairs[1].key)
            }
            var attributes: [String: YAMLPair] = [:]
            switch first.value.kind {
            case .mapping(let attrs):
                for a in attrs { attributes[a.name] = a }
            case .scalar where first.value.isNull:
                break
            default:
                throw diagnostic("'\(first.name)' takes a mapping of attributes, e.g. '\(first.name): {name: x}', got \(first.value.typeDescription)",
                                 at: first.value)
            }
            return Item(op: first.name, opNode: first.key, attributes: attributes, node: node)
        }
    }

    /// The input of a single-input item: its `from:` or the previous item's output.
    private func singleInput(_ item: Item, previous: Int) throws(Diagnostic) -> Int {
        guard let from = item.attributes["from"]?.value else { return previous }
        guard case .scalar = from.kind else {
            throw diagnostic("'from' of \(item.op) names one layer, got \(from.typeDescription)", at: from)
        }
        return try reference(from)
    }
}
