import Foundation

/// What a YAML value means once `$name` and `${expr}` are substituted: a typed value, a string,
/// or a collection to be read structurally.
enum ResolvedValue {
    case value(ExpressionValue)
    case string(String)
    case null
    case collection(YAMLNode)
}

extension Elaborator {
    /// Resolves `node` under `variables`: plain scalars are numbers, booleans, null or text;
    /// `$x` and `${...}` are evaluated; quoted scalars are text with `${...}` interpolated.
    func resolve(_ node: YAMLNode, _ variables: [String: ExpressionValue]) throws(Diagnostic) -> ResolvedValue {
        guard case .scalar(let text, let plain) = node.kind else { return .collection(node) }
        if plain && node.isNull { return .null }
        // A scalar that is one whole `${...}` is a typed value even when quoted, since YAML flow
        // mappings force quotes around braces.
        if let whole = wholeExpression(text) {
            return .value(try evaluate(whole, at: node, offset: (plain ? 0 : 1) + (text.hasPrefix("${") ? 2 : 1), variables))
        }
        if text.contains("${") { return .string(try interpolate(text, at: node, variables)) }
        if !plain { return .string(text) }
        if text == "true" { return .value(.bool(true)) }
        if text == "false" { return .value(.bool(false)) }
        if let literal = numericLiteral(text) { return .value(literal) }
        return .string(text)
    }

    /// `$name` or `${expr}` spanning the whole scalar: the expression's source, else nil.
    private func wholeExpression(_ text: String) -> String? {
        if text.hasPrefix("${"), text.hasSuffix("}"), text.dropFirst(2).firstIndex(of: "}") == text.index(before: text.endIndex) {
            return String(text.dropFirst(2).dropLast())
        }
        if text.hasPrefix("$"), text.count > 1,
           text.dropFirst().allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
            return String(text.dropFirst())
        }
        return nil
    }

    private func numericLiteral(_ text: String) -> ExpressionValue? {
        let allowed = CharacterSet(charactersIn: "0123456789+-.eE_")
        guard !text.isEmpty, text.unicodeScalars.allSatisfy({ allowed.contains($0) }),
              text.first!.isNumber || text.first == "-" || text.first == "+" || text.first == "." else { return nil }
        let clean = text.replacingOccurrences(of: "_", with: "")
        if let i = Int(clean) { return .int(i) }
        if let d = Double(clean), d.isFinite { return .double(d) }
        return nil
    }

    func evaluate(_ source: String, at node: YAMLNode, offset: Int,
                  _ variables: [String: ExpressionValue]) throws(Diagnostic) -> ExpressionValue {
        do {
            return try Expression.parse(source).evaluate(variables)
        } catch {
            throw diagnostic(error.message, at: node, columnOffset: offset + error.offset)
        }
    }

    /// Replaces every `${expr}` inside `text` with the expression's value.
    private func interpolate(_ text: String, at node: YAMLNode,
                             _ variables: [String: ExpressionValue]) throws(Diagnostic) -> String {
        var out = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw diagnostic("'${' without a closing '}'", at: node)
            }
            let offset = (node.isPlainScalar ? 0 : 1) + text.distance(from: text.startIndex, to: start.upperBound)
            out += try evaluate(String(rest[start.upperBound..<end]), at: node, offset: offset, variables).description
            rest = rest[rest.index(after: end)...]
        }
        return out + rest
    }
}

extension YAMLNode {
    /// True for an unquoted scalar (its columns map one-to-one onto the source).
    var isPlainScalar: Bool {
        if case .scalar(_, plain: true) = kind { return true }
        return false
    }
}
