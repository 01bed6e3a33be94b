import DNALCore

extension Elaborator {
    /// The `search:` section (Grammar.md lists each key, its range and what it controls).
    func readSearch(_ node: YAMLNode) throws(Diagnostic) -> SearchConfig {
        guard case .mapping(let pairs) = node.kind else { throw diagnostic("'search' must be a mapping of DNAL settings", at: node) }
        var own: [String: YAMLPair] = [:]
        for p in pairs {
            guard Schema.searchKeys.contains(p.name) else {
                var message = "unknown search setting '\(p.name)'"
                if let near = closestMatch(to: p.name, in: Schema.searchKeys) { message += "; did you mean '\(near)'?" }
                throw diagnostic(message, at: p.key)
            }
            own[p.name] = p
        }
        let a = Attributes(op: "search", anchor: node, own: own, defaults: [:], variables: [:], elaborator: self)
        var s = SearchConfig()
        if a.has("lambda") { s.lambda = try a.double("lambda", range: 0...1e6) }
        if a.has("epochs") { s.epochs = try perPhase(a, "epochs") { (x) throws(Diagnostic) in try x.int("epochs", min: 0) } }
        if a.has("batch") { s.batch = try a.int("batch", min: 1) }
        if a.has("lr") { s.learningRates = try perPhase(a, "lr") { (x) throws(Diagnostic) in try x.double("lr", range: 0...100) } }
        if a.has("momentum") { s.momentum = try a.double("momentum", range: 0...1, openUpper: true) }
        if a.has("weight_decay") { s.weightDecay = try perPhase(a, "weight_decay") { (x) throws(Diagnostic) in try x.double("weight_decay", range: 0...1) } }
        if a.has("threshold") { s.threshold = try a.double("threshold", range: 0...1, openUpper: true) }
        if a.has("beta_final") { s.betaFinal = try a.double("beta_final", range: 1...1e9) }
        if a.has("seed") { s.seed = try a.int("seed", min: 0) }
        for metric in CostTarget.Metric.allCases where a.has("target_" + metric.rawValue) {
            let key = "target_" + metric.rawValue
            guard s.target == nil else { throw diagnostic("give one budget: target_flops or target_params, not both", at: a.node(key)!) }
            guard let text = try a.string(key) else { continue }
            do {
                s.target = try CostTarget(metric, parsing: text)
            } catch {
                throw diagnostic(error.description, at: a.node(key)!)
            }
        }
        if a.has("target_tolerance") { s.targetTolerance = try a.double("target_tolerance", range: 0.001...0.5) }
        if a.has("target_gain") { s.targetGain = try a.double("target_gain", range: 0.01...100) }
        if a.has("target_rate") { s.targetRate = try a.double("target_rate", range: 0.001...1) }
        if a.has("lr_schedule") {
            s.learningRateSchedules = try perPhase(a, "lr_schedule") { (x) throws(Diagnostic) in
                let text = try x.string("lr_schedule") ?? ""
                do throws(ScheduleSyntaxError) {
                    return try LearningRateSchedule(parsing: text)
                } catch {
                    throw diagnostic(error.message, at: x.node("lr_schedule")!)
                }
            }
        }
        if a.has("beta_schedule") { s.betaSchedule = try choice(a, "beta_schedule", BetaSchedule.self) }
        if a.has("augment") { s.augment = try choice(a, "augment", AugmentChoice.self) }
        if a.has("init") { s.initialization = try choice(a, "init", WeightInitialization.self) }
        return s
    }

    /// One of an enumeration's spellings (`Attributes.choice`: the message names them and the
    /// nearest one); a key given no value (`~`) is refused the same way.
    private func choice<T: RawRepresentable & CaseIterable>(_ a: Attributes, _ key: String, _: T.Type) throws(Diagnostic) -> T
        where T.RawValue == String {
        let names = T.allCases.map(\.rawValue)
        guard let value = T(rawValue: try a.choice(key, names, default: "")) else {
            throw diagnostic("'\(key)' must be one of \(names.joined(separator: ", ")), got no value", at: a.node(key)!)
        }
        return value
    }

    /// A value per phase: a list of exactly three, or one value for all three phases.
    private func perPhase<T>(_ a: Attributes, _ key: String,
                             _ read: (Attributes) throws(Diagnostic) -> T) throws(Diagnostic) -> [T] {
        let node = a.node(key)!
        func one(_ n: YAMLNode) throws(Diagnostic) -> T {
            try read(Attributes(op: key, anchor: n, own: [key: YAMLPair(key: n, value: n)], defaults: [:],
                                variables: [:], elaborator: self))
        }
        guard case .sequence(let items) = node.kind else {
            let v = try one(node)
            return [v, v, v]
        }
        guard items.count == 3 else {
            throw diagnostic("'\(key)' takes one value per phase: [phase 1, phase 2, phase 3], got \(items.count)", at: node)
        }
        var out: [T] = []
        for item in items { out.append(try one(item)) }
        return out
    }
}
