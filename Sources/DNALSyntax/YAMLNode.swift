/// A YAML document tree with a 1-based line:column mark on every node.
///
/// Built by `YAMLReader` from libyaml's event stream; aliases are resolved into shared copies
/// (value semantics make that cheap) and counted, so expansion is bounded.
public struct YAMLNode: Sendable {
    /// What the node holds.
    public enum Kind: Sendable {
        /// A scalar's text; `plain` is false for quoted and block scalars (always strings).
        case scalar(String, plain: Bool)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }

    public var kind: Kind
    /// 1-based line of the node's first character.
    public var line: Int
    /// 1-based column of the node's first character.
    public var column: Int

    public init(_ kind: Kind, line: Int, column: Int) {
        self.kind = kind
        self.line = line
        self.column = column
    }

    /// The scalar text, or nil for collections.
    public var scalar: String? {
        if case .scalar(let s, _) = kind { return s }
        return nil
    }

    /// True for an unquoted scalar that YAML reads as null (`~`, `null`, empty).
    public var isNull: Bool {
        if case .scalar(let s, plain: true) = kind { return s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL" }
        return false
    }

    /// A short description of the node's type for messages: "a mapping", "a list", "'abc'".
    public var typeDescription: String {
        switch kind {
        case .scalar(let s, _): return s.isEmpty ? "an empty value" : "'\(s.count > 40 ? String(s.prefix(40)) + "..." : s)'"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

/// One `key: value` entry of a mapping.
public struct YAMLPair: Sendable {
    public var key: YAMLNode
    public var value: YAMLNode
    /// The key's text (keys are always scalars here).
    public var name: String { key.scalar ?? "" }
}
