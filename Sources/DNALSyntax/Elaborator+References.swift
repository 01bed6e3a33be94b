import DNALCore

/// Named references (`from: stem`, `add: {from: [a, b]}`): resolved lexically, innermost scope first.
extension Elaborator {
    /// The node a reference names. `input` is the innermost scope's input; other names are looked
    /// up as item names, then node names (`stem.bn`), from the innermost scope outwards.
    func reference(_ node: YAMLNode) throws(Diagnostic) -> Int {
        let text: String
        switch try resolve(node, scope.variables) {
        case .string(let s): text = s
        case .value(let v): text = v.description
        default: throw diagnostic("a layer reference must be a name, got \(node.typeDescription)", at: node)
        }
        if text == "input" { return scope.input }
        for s in scopes.reversed() {
            let full = s.prefix + text
            if let id = namedOutputs[full] { return id }
            if let id = builder.id(named: full) { return id }
        }
        let last = text.split(separator: ".").last.map(String.init) ?? text
        if declaredNames.contains(last) || declaredNames.contains(text) {
            throw diagnostic("layer '\(text)' is not defined before this point; a layer can only read earlier layers, so references cannot form cycles", at: node)
        }
        var message = "unknown layer '\(text)'"
        if let near = closestMatch(to: text, in: visibleNames()) { message += "; did you mean '\(near)'?" }
        throw diagnostic(message, at: node)
    }

    /// Names a reference could use here, relative to the innermost scope where possible.
    private func visibleNames() -> [String] {
        var names = Set<String>(["input"])
        for s in scopes {
            for full in namedOutputs.keys where full.hasPrefix(s.prefix) {
                names.insert(String(full.dropFirst(s.prefix.count)))
            }
        }
        return Array(names)
    }

    /// `add` and `concat`: two or more named inputs.
    func elaborateMerge(_ item: Item, attributes: Attributes, name: String) throws(Diagnostic) -> Int {
        guard let from = item.attributes["from"]?.value else {
            throw diagnostic("\(item.op) needs 'from': a list of two or more layer names", at: item.opNode)
        }
        guard case .sequence(let refs) = from.kind, refs.count >= 2 else {
            throw diagnostic("'from' of \(item.op) must list two or more layers, got \(from.typeDescription)", at: from)
        }
        var inputs: [Int] = []
        for r in refs { inputs.append(try reference(r)) }
        let op: Op
        if item.op == "add" {
            let role = try attributes.choice("role", ["plain", "residual", "candidates"], default: "plain")
            op = .add(Add(role: Add.Role(rawValue: role)!))
        } else {
            op = .concat
        }
        return try add(name, op, inputs: inputs, at: item.opNode)
    }
}
