import DNALCore
import Foundation

/// Evaluation: integers use checked arithmetic (overflow is an error, not a wrap), `/` is true
/// division, `//` and `%` floor like Python, comparisons and logic need matching types.
extension Expression {
    /// The names of the built-in functions, for messages.
    static let functions = ["min", "max", "abs", "int", "round", "floor", "ceil", "divisible"]

    func evaluate(_ variables: [String: ExpressionValue]) throws(ExpressionError) -> ExpressionValue {
        switch self {
        case .literal(let v):
            return v
        case .variable(let name):
            guard let v = variables[name] else {
                var message = "unknown name '\(name)' in expression"
                if let near = closestMatch(to: name, in: Array(variables.keys)) { message += "; did you mean '\(near)'?" }
                throw ExpressionError(message)
            }
            return v
        case .negate(let e):
            switch try e.evaluate(variables) {
            case .int(let i):
                let (r, overflow) = Int(0).subtractingReportingOverflow(i)
                if overflow { throw ExpressionError("integer overflow") }
                return .int(r)
            case .double(let d): return .double(-d)
            case .bool, .string: throw ExpressionError("cannot negate \(try e.evaluate(variables).typeName)")
            }
        case .not(let e):
            guard case .bool(let b) = try e.evaluate(variables) else { throw ExpressionError("'not' needs a boolean") }
            return .bool(!b)
        case .conditional(let c, let a, let b):
            guard case .bool(let flag) = try c.evaluate(variables) else {
                throw ExpressionError("the condition after 'if' must be a boolean")
            }
            return try (flag ? a : b).evaluate(variables)
        case .binary(let op, let l, let r):
            if op == "and" || op == "or" {
                guard case .bool(let x) = try l.evaluate(variables) else { throw ExpressionError("'\(op)' needs booleans") }
                if op == "and" && !x { return .bool(false) }
                if op == "or" && x { return .bool(true) }
                guard case .bool(let y) = try r.evaluate(variables) else { throw ExpressionError("'\(op)' needs booleans") }
                return .bool(y)
            }
            return try Self.apply(op, try l.evaluate(variables), try r.evaluate(variables))
        case .call(let name, let args):
            return try Self.call(name, try args.map { (a) throws(ExpressionError) in try a.evaluate(variables) })
        }
    }

    static func apply(_ op: String, _ a: ExpressionValue, _ b: ExpressionValue) throws(ExpressionError) -> ExpressionValue {
        if op == "==" || op == "!=" {
            let equal: Bool
            if case .bool(let x) = a, case .bool(let y) = b { equal = x == y }
            else if case .string(let x) = a, case .string(let y) = b { equal = x == y }
            else if let x = a.number, let y = b.number { equal = x == y }
            else { throw ExpressionError("cannot compare \(a.typeName) with \(b.typeName)") }
            return .bool(op == "==" ? equal : !equal)
        }
        guard let x = a.number, let y = b.number else {
            throw ExpressionError("'\(op)' needs numbers, got \(a.typeName) and \(b.typeName)")
        }
        switch op {
        case "<": return .bool(x < y)
        case "<=": return .bool(x <= y)
        case ">": return .bool(x > y)
        case ">=": return .bool(x >= y)
        default: break
        }
        if case .int(let i) = a, case .int(let j) = b {
            let result: (Int, Bool)
            switch op {
            case "+": result = i.addingReportingOverflow(j)
            case "-": result = i.subtractingReportingOverflow(j)
            case "*": result = i.multipliedReportingOverflow(by: j)
            case "//", "%":
                guard j != 0 else { throw ExpressionError("division by zero") }
                guard !(i == Int.min && j == -1) else { throw ExpressionError("integer overflow") }
                // floor division in integers (exact for every Int, unlike a detour through Double)
                var q = i / j
                if i % j != 0 && (i < 0) != (j < 0) { q -= 1 }
                return .int(op == "//" ? q : i - q * j)
            case "/":
                guard j != 0 else { throw ExpressionError("division by zero") }
                return .double(Double(i) / Double(j))
            default: throw ExpressionError("unknown operator '\(op)'")
            }
            if result.1 { throw ExpressionError("integer overflow") }
            return .int(result.0)
        }
        switch op {
        case "+": return .double(x + y)
        case "-": return .double(x - y)
        case "*": return .double(x * y)
        case "/", "//", "%":
            guard y != 0 else { throw ExpressionError("division by zero") }
            if op == "/" { return .double(x / y) }
            let q = (x / y).rounded(.down)
            return .double(op == "//" ? q : x - q * y)
        default: throw ExpressionError("unknown operator '\(op)'")
        }
    }

    static func call(_ name: String, _ args: [ExpressionValue]) throws(ExpressionError) -> ExpressionValue {
        func numbers(_ count: Int?) throws(ExpressionError) -> [Double] {
            if let count, args.count != count { throw ExpressionError("\(name)() takes \(count) argument\(count == 1 ? "" : "s"), got \(args.count)") }
            if args.isEmpty { throw ExpressionError("\(name)() needs at least one argument") }
            var out: [Double] = []
            for a in args {
                guard let n = a.number else { throw ExpressionError("\(name)() needs numbers, got \(a.typeName)") }
                out.append(n)
            }
            return out
        }
        func integer(_ d: Double) throws(ExpressionError) -> ExpressionValue {
            guard d.isFinite, abs(d) < 9e18 else { throw ExpressionError("\(name)() result \(d) is not a representable integer") }
            return .int(Int(d))
        }
        switch name {
        case "min", "max":
            let n = try numbers(nil)
            let ints = args.compactMap { if case .int(let i) = $0 { return i } else { return nil } }
            if ints.count == args.count { return .int(name == "min" ? ints.min()! : ints.max()!) }
            return .double(name == "min" ? n.min()! : n.max()!)
        case "abs":
            let n = try numbers(1)
            if case .int(let i) = args[0], i != Int.min { return .int(abs(i)) }
            return .double(abs(n[0]))
        case "int": return try integer(try numbers(1)[0].rounded(.towardZero))
        case "round": return try integer(try numbers(1)[0].rounded(.toNearestOrEven))
        case "floor": return try integer(try numbers(1)[0].rounded(.down))
        case "ceil": return try integer(try numbers(1)[0].rounded(.up))
        case "divisible":
            let n = try numbers(2)
            guard n[1] >= 1 else { throw ExpressionError("divisible() needs a divisor of at least 1") }
            guard n[1] < 1e15 else { throw ExpressionError("divisible() needs a divisor below 1e15, got \(n[1])") }
            guard let v = makeDivisible(n[0], divisor: Int(n[1])) else {
                throw ExpressionError("divisible(\(n[0]), \(n[1])) is not a representable integer")
            }
            return .int(v)
        default:
            var message = "unknown function '\(name)'"
            if let near = closestMatch(to: name, in: functions) { message += "; did you mean '\(near)'?" }
            throw ExpressionError(message)
        }
    }
}

/// Rounds `value` to the nearest multiple of `divisor`, never below `divisor` and never more than
/// 10% below `value` (the MobileNet family's channel rounding); nil when the result is not a
/// representable integer (an infinite, NaN or astronomically large value).
public func makeDivisible(_ value: Double, divisor: Int) -> Int? {
    let d = Double(divisor)
    var v = max(d, ((value + d / 2) / d).rounded(.down) * d)
    if v < 0.9 * value { v += d }
    guard v.isFinite, abs(v) < 9e18 else { return nil }
    return Int(v)
}
