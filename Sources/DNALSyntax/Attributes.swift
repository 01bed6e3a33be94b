import DNALCore
/// An item's attributes, read with types, ranges and defaults (the item's own keys first, then the
/// file's `defaults:` for that op, then the built-in default). Every error points at the value.
struct Attributes {
    let op: String
    /// The op key, where errors about missing attributes point.
    let anchor: YAMLNode
    let own: [String: YAMLPair]
    let defaults: [String: YAMLPair]
    let variables: [String: ExpressionValue]
    let elaborator: Elaborator

    /// The raw value of `key`, own before default.
    func node(_ key: String) -> YAMLNode? { (own[key] ?? defaults[key])?.value }

    /// Whether the item or the defaults set `key`.
    func has(_ key: String) -> Bool { node(key) != nil }

    private func missing(_ key: String) -> Diagnostic {
        elaborator.diagnostic("\(op) needs '\(key)'", at: anchor)
    }

    func value(_ key: String) throws(Diagnostic) -> ResolvedValue? {
        guard let n = node(key) else { return nil }
        let r = try elaborator.resolve(n, variables)
        if case .null = r { return nil }
        return r
    }

    func int(_ key: String, default fallback: Int? = nil, min: Int = 1) throws(Diagnostic) -> Int {
        guard let n = node(key), let r = try value(key) else {
            if let fallback { return fallback }
            throw missing(key)
        }
        let v: Int
        switch r {
        case .value(.int(let i)): v = i
        case .value(.double(let d)) where d == d.rounded() && abs(d) < 1e15: v = Int(d)
        default: throw elaborator.diagnostic("'\(key)' must be an integer, got \(describe(r, n))", at: n)
        }
        guard v >= min else { throw elaborator.diagnostic("'\(key)' must be at least \(min), got \(v)", at: n) }
        return v
    }

    func double(_ key: String, default fallback: Double? = nil, range: ClosedRange<Double>,
                openUpper: Bool = false) throws(Diagnostic) -> Double {
        guard let n = node(key), let r = try value(key) else {
            if let fallback { return fallback }
            throw missing(key)
        }
        guard case .value(let v) = r, let d = v.number else {
            throw elaborator.diagnostic("'\(key)' must be a number, got \(describe(r, n))", at: n)
        }
        guard range.contains(d), !(openUpper && d == range.upperBound) else {
            let upper = openUpper ? "below \(range.upperBound)" : "at most \(range.upperBound)"
            throw elaborator.diagnostic("'\(key)' must be at least \(range.lowerBound) and \(upper), got \(d)", at: n)
        }
        return d
    }

    func bool(_ key: String, default fallback: Bool) throws(Diagnostic) -> Bool {
        guard let n = node(key), let r = try value(key) else { return fallback }
        guard case .value(.bool(let b)) = r else {
            var message = "'\(key)' must be true or false, got \(describe(r, n))"
            if case .string(let s) = r, ["yes", "no", "on", "off", "y", "n"].contains(s.lowercased()) {
                message += " (YAML 1.1 spellings are not booleans here)"
            }
            throw elaborator.diagnostic(message, at: n)
        }
        return b
    }

    func string(_ key: String) throws(Diagnostic) -> String? {
        guard let n = node(key), let r = try value(key) else { return nil }
        switch r {
        case .string(let s): return s
        case .value(let v): return v.description
        default: throw elaborator.diagnostic("'\(key)' must be text, got \(n.typeDescription)", at: n)
        }
    }

    /// One of `options`, with a "did you mean" for near misses.
    func choice(_ key: String, _ options: [String], default fallback: String) throws(Diagnostic) -> String {
        guard let n = node(key), let s = try string(key) else { return fallback }
        guard options.contains(s) else {
            var message = "'\(key)' must be one of \(options.joined(separator: ", ")), got '\(s)'"
            if let near = closestMatch(to: s, in: options) { message += "; did you mean '\(near)'?" }
            throw elaborator.diagnostic(message, at: n)
        }
        return s
    }

    /// A list of channel indices (`[0, 3, 4]`), each checked to be an integer of at least 0; the
    /// op's shape rule checks order and range against the input.
    func intList(_ key: String) throws(Diagnostic) -> [Int] {
        guard let n = node(key) else { throw missing(key) }
        guard case .sequence(let items) = n.kind else {
            throw elaborator.diagnostic("'\(key)' must be a list of channel indices, got \(n.typeDescription)", at: n)
        }
        var result: [Int] = []
        result.reserveCapacity(items.count)
        for item in items {
            let r = try elaborator.resolve(item, variables)
            guard case .value(.int(let v)) = r, v >= 0 else {
                throw elaborator.diagnostic("'\(key)' entries must be integers of at least 0, got \(describe(r, item))", at: item)
            }
            result.append(v)
        }
        return result
    }

    /// A list of layer items.
    func layers(_ key: String) throws(Diagnostic) -> [YAMLNode] {
        guard let n = node(key) else { throw missing(key) }
        guard case .sequence(let items) = n.kind else {
            throw elaborator.diagnostic("'\(key)' must be a list of layers, got \(n.typeDescription)", at: n)
        }
        guard !items.isEmpty else { throw elaborator.diagnostic("'\(key)' must not be empty", at: n) }
        return items
    }

    private func describe(_ r: ResolvedValue, _ n: YAMLNode) -> String {
        switch r {
        case .value(let v): return "\(v.typeName) (\(v))"
        case .string(let s): return "'\(s)'"
        case .null: return "nothing"
        case .collection: return n.typeDescription
        }
    }
}
