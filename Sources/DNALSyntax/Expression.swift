/// The DSL's expression language, used inside `${...}` in templates and repeats.
///
/// Grammar (Python-like, lowest precedence first):
/// ```
/// expr    := or ('if' or 'else' expr)?
/// or      := and ('or' and)*           and := not ('and' not)*
/// not     := 'not' not | compare       compare := sum (('=='|'!='|'<'|'<='|'>'|'>=') sum)?
/// sum     := product (('+'|'-') product)*
/// product := unary (('*'|'/'|'//'|'%') unary)*
/// unary   := '-' unary | primary
/// primary := INT | FLOAT | 'text' | 'true' | 'false' | NAME | NAME '(' args ')' | '(' expr ')'
/// ```
indirect enum Expression: Sendable {
    case literal(ExpressionValue)
    case variable(String)
    case negate(Expression)
    case not(Expression)
    case binary(String, Expression, Expression)
    case conditional(condition: Expression, then: Expression, otherwise: Expression)
    case call(String, [Expression])

    /// Parses `text`; the error's `offset` is the character index of the problem.
    /// Limits that keep parsing and evaluation (both recursive) far from the stack's end: tokens
    /// per expression, and nesting of parentheses, calls, unary operators and conditionals.
    static let maxTokens = 4096
    static let maxDepth = YAMLReader.maxDepth

    static func parse(_ text: String) throws(ExpressionError) -> Expression {
        let tokens = try ExpressionLexer.tokens(text)
        guard tokens.count <= maxTokens + 1 else {
            throw ExpressionError("the expression is longer than \(maxTokens) tokens; split it over template parameters")
        }
        var p = ExpressionParser(tokens: tokens)
        let e = try p.expression()
        guard p.peek == .end else { throw ExpressionError("unexpected '\(p.peekText)' in expression", offset: p.offset) }
        return e
    }
}

/// A problem in an expression, with the character offset it was found at.
struct ExpressionError: Error, Sendable {
    var message: String
    var offset: Int
    init(_ message: String, offset: Int = 0) {
        self.message = message
        self.offset = offset
    }
}

enum Token: Equatable, Sendable {
    case int(Int), double(Double), name(String), text(String), symbol(String), end
}

enum ExpressionLexer {
    static func tokens(_ text: String) throws(ExpressionError) -> [(Token, Int)] {
        let chars = Array(text)
        var i = 0
        var out: [(Token, Int)] = []
        while i < chars.count {
            let c = chars[i]
            if c == " " || c == "\t" { i += 1; continue }
            let start = i
            if c.isNumber || (c == "." && i + 1 < chars.count && chars[i + 1].isNumber) {
                var isFloat = false
                while i < chars.count, chars[i].isNumber || chars[i] == "." || chars[i] == "_" {
                    if chars[i] == "." { isFloat = true }
                    i += 1
                }
                if i < chars.count, chars[i] == "e" || chars[i] == "E" {
                    isFloat = true
                    i += 1
                    if i < chars.count, chars[i] == "+" || chars[i] == "-" { i += 1 }
                    while i < chars.count, chars[i].isNumber { i += 1 }
                }
                let literal = String(chars[start..<i]).replacingOccurrences(of: "_", with: "")
                if !isFloat, let v = Int(literal) {
                    out.append((.int(v), start))
                } else if let v = Double(literal) {
                    out.append((.double(v), start))
                } else {
                    throw ExpressionError("bad number '\(literal)'", offset: start)
                }
                continue
            }
            if c == "'" || c == "\"" {
                i += 1
                while i < chars.count, chars[i] != c { i += 1 }
                guard i < chars.count else { throw ExpressionError("unterminated text literal", offset: start) }
                out.append((.text(String(chars[start + 1..<i])), start))
                i += 1
                continue
            }
            if c.isLetter || c == "_" {
                while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" { i += 1 }
                out.append((.name(String(chars[start..<i])), start))
                continue
            }
            let two = i + 1 < chars.count ? String(chars[i...i + 1]) : ""
            if ["//", "==", "!=", "<=", ">="].contains(two) {
                out.append((.symbol(two), start))
                i += 2
                continue
            }
            if "+-*/%()<>,".contains(c) {
                out.append((.symbol(String(c)), start))
                i += 1
                continue
            }
            throw ExpressionError("unexpected character '\(c)' in expression", offset: start)
        }
        out.append((.end, chars.count))
        return out
    }
}

struct ExpressionParser {
    var tokens: [(Token, Int)]
    var position = 0
    /// Current nesting, checked against `Expression.maxDepth`.
    var depth = 0

    init(tokens: [(Token, Int)]) { self.tokens = tokens }

    var peek: Token { tokens[position].0 }
    var offset: Int { tokens[position].1 }
    var peekText: String {
        switch peek {
        case .int(let v): return String(v)
        case .double(let v): return String(v)
        case .name(let n): return n
        case .text(let t): return "'\(t)'"
        case .symbol(let s): return s
        case .end: return "end"
        }
    }

    mutating func advance() { if position < tokens.count - 1 { position += 1 } }

    mutating func accept(_ symbol: String) -> Bool {
        if peek == .symbol(symbol) || peek == .name(symbol) { advance(); return true }
        return false
    }

    mutating func expression() throws(ExpressionError) -> Expression {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Expression.maxDepth else {
            throw ExpressionError("the expression nests deeper than \(Expression.maxDepth) levels", offset: offset)
        }
        let value = try orExpression()
        if accept("if") {
            let condition = try orExpression()
            guard accept("else") else { throw ExpressionError("expected 'else' after the 'if' condition", offset: offset) }
            let otherwise = try expression()
            return .conditional(condition: condition, then: value, otherwise: otherwise)
        }
        return value
    }

    mutating func orExpression() throws(ExpressionError) -> Expression {
        var e = try andExpression()
        while accept("or") { e = .binary("or", e, try andExpression()) }
        return e
    }

    mutating func andExpression() throws(ExpressionError) -> Expression {
        var e = try notExpression()
        while accept("and") { e = .binary("and", e, try notExpression()) }
        return e
    }

    mutating func notExpression() throws(ExpressionError) -> Expression {
        if accept("not") { return .not(try nested { (p) throws(ExpressionError) in try p.notExpression() }) }
        return try comparison()
    }

    /// `parse` one level deeper (unary chains nest without parentheses).
    mutating func nested(_ parse: (inout ExpressionParser) throws(ExpressionError) -> Expression) throws(ExpressionError) -> Expression {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Expression.maxDepth else {
            throw ExpressionError("the expression nests deeper than \(Expression.maxDepth) levels", offset: offset)
        }
        return try parse(&self)
    }

    mutating func comparison() throws(ExpressionError) -> Expression {
        let e = try sum()
        for op in ["==", "!=", "<=", ">=", "<", ">"] where accept(op) {
            return .binary(op, e, try sum())
        }
        return e
    }

    mutating func sum() throws(ExpressionError) -> Expression {
        var e = try product()
        while true {
            if accept("+") { e = .binary("+", e, try product()) }
            else if accept("-") { e = .binary("-", e, try product()) }
            else { return e }
        }
    }

    mutating func product() throws(ExpressionError) -> Expression {
        var e = try unary()
        while true {
            var matched = false
            for op in ["//", "*", "/", "%"] where accept(op) {
                e = .binary(op, e, try unary())
                matched = true
                break
            }
            if !matched { return e }
        }
    }

    mutating func unary() throws(ExpressionError) -> Expression {
        if accept("-") { return .negate(try nested { (p) throws(ExpressionError) in try p.unary() }) }
        return try primary()
    }

    mutating func primary() throws(ExpressionError) -> Expression {
        let at = offset
        switch peek {
        case .int(let v): advance(); return .literal(.int(v))
        case .double(let v): advance(); return .literal(.double(v))
        case .text(let t): advance(); return .literal(.string(t))
        case .name("true"): advance(); return .literal(.bool(true))
        case .name("false"): advance(); return .literal(.bool(false))
        case .name(let n) where ["if", "else", "and", "or", "not"].contains(n):
            throw ExpressionError("unexpected '\(n)' in expression", offset: at)
        case .name(let n):
            advance()
            guard accept("(") else { return .variable(n) }
            var args: [Expression] = []
            if !accept(")") {
                repeat { args.append(try expression()) } while accept(",")
                guard accept(")") else { throw ExpressionError("expected ')' to close the call to \(n)", offset: offset) }
            }
            return .call(n, args)
        case .symbol("("):
            advance()
            let e = try expression()
            guard accept(")") else { throw ExpressionError("expected ')'", offset: offset) }
            return e
        case .end:
            throw ExpressionError("the expression ends too early", offset: at)
        case .symbol(let s):
            throw ExpressionError("unexpected '\(s)' in expression", offset: at)
        }
    }
}
