/// A value an expression computes: integers stay exact, floats follow IEEE, booleans are separate.
public enum ExpressionValue: Hashable, Sendable, CustomStringConvertible {
    case int(Int)
    case double(Double)
    case bool(Bool)
    /// Text, passed through template parameters (`act: $act`) and compared with `==`.
    case string(String)

    /// The numeric value as a Double, nil for booleans.
    var number: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .bool, .string: return nil
        }
    }

    /// How the value prints in messages and interpolated strings (`2`, `0.5`, `true`).
    public var description: String {
        switch self {
        case .int(let i): return String(i)
        case .double(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case .bool(let b): return b ? "true" : "false"
        case .string(let s): return s
        }
    }

    /// "an integer", "a number", "a boolean", for type errors.
    var typeName: String {
        switch self {
        case .int: return "an integer"
        case .double: return "a number"
        case .bool: return "a boolean"
        case .string: return "text"
        }
    }
}
