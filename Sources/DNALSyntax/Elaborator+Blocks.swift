import DNALCore

/// Blocks with structure: residual (branch + shortcut), choice (sum of candidate ops), repeat.
extension Elaborator {
    /// `residual: {branch, shortcut, shortcut_when, act}`: output = act(branch(x) + shortcut(x)).
    ///
    /// Shortcuts: `identity` (shapes must match); `zeropad` and `project` are the identity when
    /// shapes match and otherwise the option-A pad or a 1x1 conv + BN (`{project: {...}}` overrides
    /// that conv's attributes); a list is explicit layers; `none` (or `shortcut_when: false`)
    /// leaves just the branch.
    func elaborateResidual(_ item: Item, attributes a: Attributes, input: Int, name: String) throws(Diagnostic) -> Int {
        let at = item.opNode
        let branch = try withScope(prefix: name + ".", input: input, variables: a.variables) { () throws(Diagnostic) in
            try elaborateList(try a.layers("branch"), input: input)
        }
        var out = branch
        if try a.bool("shortcut_when", default: true),
           let shortcut = try shortcutOutput(a, input: input, branch: branch, name: name) {
            out = try add(name + ".add", .add(Add(role: .residual)), inputs: [branch, shortcut], at: at)
        }
        if let act = try activation(a) { out = try add(name + ".act", .activation(act), inputs: [out], at: at) }
        return out
    }

    /// The shortcut's output node, or nil for `none`.
    private func shortcutOutput(_ a: Attributes, input: Int, branch: Int, name: String) throws(Diagnostic) -> Int? {
        let x = builder.node(input).shape, y = builder.node(branch).shape
        let node = a.node("shortcut") ?? a.anchor
        let kinds = ["identity", "zeropad", "project", "none"]
        var mode = "identity"
        var overrides: [String: YAMLPair] = [:]
        if let n = a.node("shortcut") {
            switch try resolve(n, a.variables) {
            case .collection(let c):
                if case .sequence(let items) = c.kind {
                    return try withScope(prefix: name + ".shortcut.", input: input, variables: a.variables) { () throws(Diagnostic) in
                        try elaborateList(items, input: input, singleName: name + ".shortcut")
                    }
                }
                guard case .mapping(let pairs) = c.kind, pairs.count == 1, pairs[0].name == "project" else {
                    throw diagnostic("'shortcut' must be identity, zeropad, project, none, {project: {...}} or a list of layers", at: n)
                }
                mode = "project"
                if case .mapping(let attrs) = pairs[0].value.kind {
                    for p in attrs {
                        let allowed = ["bias", "bn", "gate", "act", "prunable"]
                        guard allowed.contains(p.name) else {
                            throw diagnostic("a project shortcut sets only \(allowed.joined(separator: ", ")); got '\(p.name)'", at: p.key)
                        }
                        overrides[p.name] = p
                    }
                } else if !pairs[0].value.isNull {
                    throw diagnostic("'project' takes a mapping of conv attributes", at: pairs[0].value)
                }
            default:
                mode = try a.choice("shortcut", kinds, default: "identity")
            }
        }
        if mode == "none" { return nil }
        if x == y { return input }
        // Round up: a stride-2 conv takes 17 rows to 9, and 17 / 9 would say stride 1.
        let stride = y.height > 0 ? (x.height + y.height - 1) / y.height : 1
        let fits = x.isFeatureMap && y.isFeatureMap && stride >= 1 && (x.height - 1) / stride + 1 == y.height
            && (x.width - 1) / stride + 1 == y.width
        switch mode {
        case "zeropad" where fits && y.channels >= x.channels:
            let pad = ZeroPad(outChannels: y.channels, stride: stride, offset: (y.channels - x.channels) / 2)
            return try add(name + ".shortcut", .zeroPad(pad), inputs: [input], at: node)
        case "project" where fits:
            let base = Attributes(op: "conv", anchor: node, own: overrides, defaults: [:], variables: a.variables, elaborator: self)
            var spec = ConvSpec(conv: Conv(outChannels: y.channels, kernel: 1, stride: stride, padding: 0,
                                           bias: try base.bool("bias", default: false), prunable: try base.bool("prunable", default: true)),
                                batchNorm: base.has("bn") ? try batchNorm(base) : try batchNormSettings(
                                    Attributes(op: "bn", anchor: node, own: [:], defaults: defaults["bn"] ?? [:],
                                               variables: a.variables, elaborator: self)),
                                gate: try base.bool("gate", default: false), activation: try activation(base))
            spec.conv.groups = 1
            return try emitConv(spec, input: input, name: name + ".shortcut", at: node)
        default:
            var message = "residual '\(name)': the branch gives \(y) but the shortcut carries \(x)"
            message += mode == "identity" ? "; use shortcut: zeropad or project, or disable it with shortcut_when"
                                          : "; \(mode) cannot bridge them"
            throw diagnostic(message, at: node)
        }
    }

    /// `choice: {ops, shortcut, shortcut_when}`: the plain sum of every candidate op's output
    /// (plus the input when the identity shortcut is on). Candidates are named by their `name`
    /// or `op0`, `op1`, ...
    func elaborateChoice(_ item: Item, attributes a: Attributes, input: Int, name: String) throws(Diagnostic) -> Int {
        let ops = try a.layers("ops")
        var outputs: [Int] = []
        try withScope(prefix: name + ".", input: input, variables: a.variables) { () throws(Diagnostic) in
            for (k, op) in ops.enumerated() {
                let opName = name + ".op\(k)"
                if case .sequence(let items) = op.kind {
                    guard !items.isEmpty else { throw diagnostic("a candidate op must not be an empty list", at: op) }
                    outputs.append(try withScope(prefix: opName + ".", input: input, variables: a.variables) { () throws(Diagnostic) in
                        try elaborateList(items, input: input)
                    })
                } else if let out = try elaborateItem(op, previous: input, forcedName: opName) {
                    outputs.append(out)
                }
            }
        }
        guard !outputs.isEmpty else { throw diagnostic("choice '\(name)' has no candidate ops left", at: item.opNode) }
        let mode = try a.choice("shortcut", ["identity", "none"], default: "none")
        if mode == "identity", try a.bool("shortcut_when", default: true) { outputs.append(input) }
        let shapes = outputs.map { builder.node($0).shape }
        if let bad = shapes.firstIndex(where: { $0 != shapes[0] }) {
            throw diagnostic("choice '\(name)': candidate '\(builder.node(outputs[bad]).name)' gives \(shapes[bad]) "
                             + "but '\(builder.node(outputs[0]).name)' gives \(shapes[0]); candidates must agree", at: item.opNode)
        }
        if outputs.count == 1 { return outputs[0] }
        return try add(name + ".sum", .add(Add(role: .candidates)), inputs: outputs, at: item.opNode)
    }

    /// `repeat: {times, var, layers}`: the body `times` times, iteration i named `NAME.i`, with
    /// the variable (default `i`) set to 0, 1, ...
    func elaborateRepeat(_ item: Item, attributes a: Attributes, input: Int, name: String) throws(Diagnostic) -> Int {
        let times = try a.int("times", min: 1)
        let variable = try a.string("var") ?? "i"
        guard !Schema.reservedVariables.contains(variable), variable.first?.isLetter == true else {
            throw diagnostic("'\(variable)' cannot be a repeat variable", at: a.node("var") ?? item.opNode)
        }
        let body = try a.layers("layers")
        guard times.multipliedReportingOverflow(by: body.count).partialValue <= GraphBuilder.maxNodes,
              !times.multipliedReportingOverflow(by: body.count).overflow else {
            throw diagnostic("repeat of \(times) would exceed \(GraphBuilder.maxNodes) layers", at: a.node("times")!)
        }
        var current = input
        for i in 0..<times {
            var variables = a.variables
            variables[variable] = .int(i)
            let iteration = "\(name).\(i)"
            current = try withScope(prefix: iteration + ".", input: current, variables: variables) { () throws(Diagnostic) in
                try elaborateList(body, input: current, singleName: iteration)
            }
            namedOutputs[iteration] = current
        }
        return current
    }
}
