/// A parameterised block from the `templates:` section, used like an op: `basic: {out: 32}`.
struct Template {
    /// The template's name, which items use as their op.
    var name: String
    /// Parameters in declaration order; a nil default means the caller must give it.
    var params: [(name: String, defaultValue: YAMLNode?)]
    /// The body, elaborated afresh for every use.
    var layers: [YAMLNode]
}

extension Elaborator {
    /// Deepest chain of templates using templates; deeper is almost certainly unintended.
    static let maxTemplateDepth = 32

    /// Expands one use of `template`: arguments are evaluated where the template is used, defaults
    /// inside the template (so a default may refer to earlier parameters and to `in`); the body
    /// sees only its parameters, `in` and the network's globals.
    func instantiate(_ template: Template, item: Item, attributes a: Attributes, input: Int,
                     name: String) throws(Diagnostic) -> Int {
        if let i = instantiations.firstIndex(where: { $0.template == template.name }) {
            let chain = (instantiations[i...].map(\.template) + [template.name]).joined(separator: " -> ")
            throw diagnostic("template '\(template.name)' uses itself (\(chain))", at: item.opNode)
        }
        guard instantiations.count < Self.maxTemplateDepth else {
            throw diagnostic("templates nest more than \(Self.maxTemplateDepth) deep", at: item.opNode)
        }
        var variables = scopes[0].variables
        variables["in"] = .int(builder.node(input).shape.channels)
        for p in template.params {
            let value: ResolvedValue
            if let given = item.attributes[p.name] {
                value = try resolve(given.value, a.variables)
            } else if let fallback = p.defaultValue {
                value = try resolve(fallback, variables)
            } else {
                throw diagnostic("template '\(template.name)' needs parameter '\(p.name)'", at: item.opNode)
            }
            switch value {
            case .value(let v): variables[p.name] = v
            case .string(let s): variables[p.name] = .string(s)
            case .null, .collection:
                let at = item.attributes[p.name]?.value ?? p.defaultValue ?? item.opNode
                throw diagnostic("parameter '\(p.name)' of template '\(template.name)' must be a number, boolean or text, got \(at.typeDescription)", at: at)
            }
        }
        instantiations.append((template.name, location(item.opNode)))
        defer { instantiations.removeLast() }
        return try withScope(prefix: name + ".", input: input, variables: variables) { () throws(Diagnostic) in
            try elaborateList(template.layers, input: input, singleName: name)
        }
    }
}
