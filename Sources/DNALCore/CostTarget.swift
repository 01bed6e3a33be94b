/// A cost budget for a search: "this network at a third of its FLOPs". Written as an absolute
/// count with an optional K/M/G suffix (`2.5M`, `2500000`), a reduction ratio (`3x`) or a fraction
/// of the full network (`33%`); costs are the dnal convention's (Grammar.md section 10).
public struct CostTarget: Codable, Hashable, Sendable, CustomStringConvertible {
    /// What the budget limits.
    public enum Metric: String, Codable, Sendable, CaseIterable {
        case flops, params
    }

    /// How the budget is given.
    public enum Amount: Codable, Hashable, Sendable {
        /// A count.
        case absolute(Double)
        /// The full network's cost divided by this (>= 1).
        case reduction(Double)
        /// This fraction of the full network's cost, in (0, 1].
        case fraction(Double)
    }

    public var metric: Metric
    public var amount: Amount
    /// The text it was written as.
    public var text: String

    /// Parses `text` (see the type's summary); the error says what is wrong with it.
    public init(_ metric: Metric, parsing text: String) throws(CostTargetError) {
        self.metric = metric
        self.text = text
        let t = text.trimmingSpaces()
        func number(_ s: Substring) throws(CostTargetError) -> Double {
            guard let v = Double(s), v.isFinite else { throw CostTargetError.malformed(text, metric) }
            return v
        }
        if t.hasSuffix("x") || t.hasSuffix("X") {
            let r = try number(t.dropLast())
            guard r >= 1 else { throw CostTargetError.outOfRange("a reduction of \(text) would be larger than the full network; give a ratio of at least 1x", metric) }
            amount = .reduction(r)
        } else if t.hasSuffix("%") {
            let p = try number(t.dropLast())
            guard p > 0 && p <= 100 else { throw CostTargetError.outOfRange("\(text) of the full network must be above 0% and at most 100%", metric) }
            amount = .fraction(p / 100)
        } else {
            var body = Substring(t), scale = 1.0
            switch t.last {
            case "K", "k": scale = 1e3
            case "M": scale = 1e6
            case "G": scale = 1e9
            default: break
            }
            if scale != 1 { body = body.dropLast() }
            let v = try number(body) * scale
            guard v > 0 else { throw CostTargetError.outOfRange("a budget of \(text) is not a positive count", metric) }
            amount = .absolute(v)
        }
    }

    /// The budget as a count, for a full network costing `full`.
    public func count(full: Int) -> Double {
        switch amount {
        case .absolute(let v): return v
        case .reduction(let r): return Double(full) / r
        case .fraction(let f): return Double(full) * f
        }
    }

    /// `--target-flops 3x`.
    public var description: String { "--target-\(metric.rawValue) \(text)" }
}

/// Why a budget cannot be used.
public enum CostTargetError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String, CostTarget.Metric)
    case outOfRange(String, CostTarget.Metric)

    public var description: String {
        switch self {
        case .malformed(let text, let m):
            return "'\(text)' is not a \(m.rawValue) budget: give a count (2.5M, 2500000), a reduction (3x) or a fraction of the full network (33%)"
        case .outOfRange(let message, let m):
            return "target_\(m.rawValue): \(message)"
        }
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (Core has no Foundation).
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return String(s)
    }
}
