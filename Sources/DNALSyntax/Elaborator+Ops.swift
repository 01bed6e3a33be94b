import DNALCore

/// The single-input ops: each item becomes one node, or a short chain (conv -> bn -> gate -> act).
extension Elaborator {
    /// A conv line's settings after defaults, expressions and the width multiplier.
    struct ConvSpec {
        var conv: Conv
        var batchNorm: BatchNorm?
        var gate: Bool
        var activation: Activation?
    }

    func elaborateOp(_ item: Item, attributes a: Attributes, input: Int, name: String) throws(Diagnostic) -> Int {
        let at = item.opNode
        let channels = builder.node(input).shape.channels
        switch item.op {
        case "conv":
            return try emitConv(try convSpec(a, inChannels: channels), input: input, name: name, at: at)
        case "linear":
            var out = try add(name, .linear(Linear(outFeatures: try a.int("out"), bias: try a.bool("bias", default: true))),
                              inputs: [input], at: at)
            if let bn = try batchNorm(a) { out = try add(SubLayer.batchNorm.name(under: name), .batchNorm(bn), inputs: [out], at: at) }
            if let act = try activation(a) { out = try add(name + ".act", .activation(act), inputs: [out], at: at) }
            return out
        case "bn":
            return try add(name, .batchNorm(try batchNormSettings(a)), inputs: [input], at: at)
        case "gate":
            return try add(name, .gate, inputs: [input], at: at)
        case "relu", "relu6":
            return try add(name, .activation(item.op == "relu" ? .relu : .relu6), inputs: [input], at: at)
        case "maxpool", "avgpool":
            let kernel = try a.int("kernel")
            let pool = Pool(kind: item.op == "maxpool" ? .max : .avg, kernel: kernel,
                            stride: try a.int("stride", default: kernel), padding: try a.int("padding", default: 0, min: 0))
            return try add(name, .pool(pool), inputs: [input], at: at)
        case "gap":
            return try add(name, .globalAvgPool, inputs: [input], at: at)
        case "flatten":
            return try add(name, .flatten, inputs: [input], at: at)
        case "identity":
            return try add(name, .identity, inputs: [input], at: at)
        case "dropout":
            let p = try a.double("p", range: 0...1, openUpper: true)
            return try add(name, .dropout(Dropout(probability: p)), inputs: [input], at: at)
        case "zeropad":
            let out = try scaled(a)
            let stride = try a.int("stride", default: 1)
            let align = try a.choice("align", ["center", "start"], default: "center")
            let offset = a.has("offset") ? try a.int("offset", min: 0) : (align == "center" ? max(0, (out - channels) / 2) : 0)
            return try add(name, .zeroPad(ZeroPad(outChannels: out, stride: stride, offset: offset)), inputs: [input], at: at)
        case "gather":
            return try add(name, .gather(Gather(channels: try a.intList("channels"))), inputs: [input], at: at)
        case "scatter":
            let scatter = Scatter(channels: try a.intList("channels"), outChannels: try a.int("out"))
            return try add(name, .scatter(scatter), inputs: [input], at: at)
        case "residual":
            return try elaborateResidual(item, attributes: a, input: input, name: name)
        case "choice":
            return try elaborateChoice(item, attributes: a, input: input, name: name)
        case "seq":
            return try withScope(prefix: name + ".", input: input, variables: a.variables) { () throws(Diagnostic) in
                try elaborateList(try a.layers("layers"), input: input, singleName: name)
            }
        case "repeat":
            return try elaborateRepeat(item, attributes: a, input: input, name: name)
        default:
            throw diagnostic("op '\(item.op)' is not implemented", at: at)
        }
    }

    /// Reads a conv's attributes (see Grammar.md's conv row for each default).
    func convSpec(_ a: Attributes, inChannels: Int) throws(Diagnostic) -> ConvSpec {
        let depthwise = try a.bool("depthwise", default: false)
        let kernel = try a.int("kernel", default: 3)
        var out: Int
        if depthwise && !a.has("out") {
            out = inChannels
        } else {
            out = try scaled(a)
        }
        var groups = try a.int("groups", default: 1)
        if depthwise {
            if a.has("groups") { throw diagnostic("give either 'depthwise: true' or 'groups', not both", at: a.node("groups")!) }
            groups = inChannels
        }
        var padding = (kernel - 1) / 2
        if a.has("padding"), try a.string("padding") != "same" { padding = try a.int("padding", min: 0) }
        let conv = Conv(outChannels: out, kernel: kernel, stride: try a.int("stride", default: 1), padding: padding,
                        groups: groups, bias: try a.bool("bias", default: false),
                        prunable: try a.bool("prunable", default: true))
        // A conv's own `gate:` wins, then the innermost enclosing block's, then the file's defaults.
        let gate = a.own["gate"] == nil && !blockGates.isEmpty ? blockGates.last! : try a.bool("gate", default: false)
        return ConvSpec(conv: conv, batchNorm: try batchNorm(a), gate: gate, activation: try activation(a))
    }

    /// conv, then `.bn`, `.gate`, `.act` as asked: the reference placement (gate after BN, before
    /// the activation).
    func emitConv(_ spec: ConvSpec, input: Int, name: String, at: YAMLNode) throws(Diagnostic) -> Int {
        var out = try add(name, .conv(spec.conv), inputs: [input], at: at)
        if let bn = spec.batchNorm { out = try add(SubLayer.batchNorm.name(under: name), .batchNorm(bn), inputs: [out], at: at) }
        if spec.gate { out = try add(SubLayer.gate.name(under: name), .gate, inputs: [out], at: at) }
        if let act = spec.activation { out = try add(name + ".act", .activation(act), inputs: [out], at: at) }
        return out
    }

    /// `bn: true | false | {eps, momentum}` inside conv and linear.
    func batchNorm(_ a: Attributes) throws(Diagnostic) -> BatchNorm? {
        guard let node = a.node("bn"), let r = try a.value("bn") else { return nil }
        switch r {
        case .value(.bool(let on)):
            return on ? try batchNormSettings(bnAttributes([:], a)) : nil
        case .collection(let n):
            guard case .mapping(let pairs) = n.kind else { break }
            var own: [String: YAMLPair] = [:]
            for p in pairs {
                guard Schema.bnKeys.contains(p.name) else {
                    var message = "bn has no attribute '\(p.name)'"
                    if let near = closestMatch(to: p.name, in: Schema.bnKeys) { message += "; did you mean '\(near)'?" }
                    throw diagnostic(message, at: p.key)
                }
                own[p.name] = p
            }
            return try batchNormSettings(bnAttributes(own, a))
        default:
            break
        }
        throw diagnostic("'bn' must be true, false or {eps, momentum}, got \(node.typeDescription)", at: node)
    }

    private func bnAttributes(_ own: [String: YAMLPair], _ parent: Attributes) -> Attributes {
        Attributes(op: "bn", anchor: parent.anchor, own: own, defaults: defaults["bn"] ?? [:],
                   variables: parent.variables, elaborator: self)
    }

    func batchNormSettings(_ a: Attributes) throws(Diagnostic) -> BatchNorm {
        BatchNorm(epsilon: try a.double("eps", default: 1e-5, range: 1e-12...1),
                  momentum: try a.double("momentum", default: 0.1, range: 0...1))
    }

    /// `act: relu | relu6 | none`.
    func activation(_ a: Attributes) throws(Diagnostic) -> Activation? {
        let name = try a.choice("act", ["relu", "relu6", "none"], default: "none")
        return Activation(rawValue: name)
    }

    /// `out`, with the network's width multiplier applied (MobileNet rounding) unless it is 1 or
    /// the item says `scale: false`.
    func scaled(_ a: Attributes) throws(Diagnostic) -> Int {
        let channels = try a.int("out")
        guard try a.bool("scale", default: true), widthMultiplier != 1 else { return channels }
        guard let v = makeDivisible(Double(channels) * widthMultiplier, divisor: widthDivisor) else {
            throw diagnostic("out \(channels) times width_multiplier \(widthMultiplier) is not a representable channel count", at: a.node("out")!)
        }
        return v
    }
}
