import Foundation

/// How one phase's learning rate moves, epoch by epoch and step by step. The reference uses all
/// three forms (docs/dnal-method.md 4.3): constant rates in phase 1 for VGG and ResNet, a step
/// schedule in their phase 3, and cosine with offset horizons for MobileNetV2 and ProxylessNAS.
///
/// Written as text (Grammar.md section 9), so that the network file and `--set` share one form:
/// `constant`, `cosine`, `cosine/OFFSET/HORIZON`, `step/FACTOR/E1/E2/...`.
public enum LearningRateSchedule: Hashable, Sendable, CustomStringConvertible {
    /// The base rate throughout.
    case constant
    /// Cosine annealing, updated every step. The phase's E epochs are epochs OFFSET..<OFFSET+E of
    /// a HORIZON-epoch cosine from the base rate to 0; `horizon` nil means OFFSET + E (the phase
    /// ends at 0). Plain `cosine` is offset 0 over the phase.
    case cosine(offset: Int, horizon: Int?)
    /// The base rate, multiplied by `factor` after each epoch in `after` (counted from 0 within
    /// the phase): the reference's phase 3 for VGG and ResNet is factor 0.1 after epochs 10 and 40.
    case step(factor: Double, after: [Int])

    /// Plain cosine over the phase.
    public static let cosine = LearningRateSchedule.cosine(offset: 0, horizon: nil)

    /// Reads `constant`, `cosine`, `cosine/OFFSET/HORIZON` or `step/FACTOR/E1/E2/...`.
    public init(parsing text: String) throws(ScheduleSyntaxError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let usage = "a learning-rate schedule is constant, cosine, cosine/OFFSET/HORIZON (epochs) or step/FACTOR/EPOCH[/EPOCH...], got '\(text)'"
        switch parts[0] {
        case "constant" where parts.count == 1:
            self = .constant
        case "cosine" where parts.count == 1:
            self = .cosine
        case "cosine" where parts.count == 3:
            guard let offset = Int(parts[1]), let horizon = Int(parts[2]), offset >= 0, horizon > offset else {
                throw ScheduleSyntaxError("\(usage): the offset must be a whole number of epochs >= 0 and the horizon larger")
            }
            self = .cosine(offset: offset, horizon: horizon)
        case "step" where parts.count >= 3:
            guard let factor = Double(parts[1]), factor > 0, factor <= 1 else {
                throw ScheduleSyntaxError("\(usage): the factor must be in (0, 1]")
            }
            var after: [Int] = []
            for p in parts.dropFirst(2) {
                guard let e = Int(p), e >= 0, e > (after.last ?? -1) else {
                    throw ScheduleSyntaxError("\(usage): the epochs must be whole numbers >= 0 in increasing order")
                }
                after.append(e)
            }
            self = .step(factor: factor, after: after)
        default:
            throw ScheduleSyntaxError(usage)
        }
    }

    /// The text form `init(parsing:)` reads back.
    public var description: String {
        switch self {
        case .constant: return "constant"
        case .cosine(0, nil): return "cosine"
        case .cosine(let offset, let horizon): return "cosine/\(offset)/\(horizon.map(String.init) ?? "\(offset)")"
        case .step(let factor, let after): return "step/\(factor)/" + after.map(String.init).joined(separator: "/")
        }
    }

    /// Epoch k (from 0) of a phase of `epochs` epochs: the base rate's multiplier, and where a
    /// cosine stands (the epoch it starts at and the horizon, in epochs) when the rate anneals.
    public func epoch(_ k: Int, of epochs: Int) -> (factor: Double, cosine: (start: Int, horizon: Int)?) {
        switch self {
        case .constant:
            return (1, nil)
        case .cosine(let offset, let horizon):
            return (1, (offset + k, horizon ?? offset + epochs))
        case .step(let factor, let after):
            return (pow(factor, Double(after.filter { k > $0 }.count)), nil)
        }
    }

    /// The rate at batch `b` of `batches` in epoch k of a phase of `epochs` epochs, from `base`.
    public func rate(base: Double, epoch k: Int, of epochs: Int, batch b: Int, batches: Int) -> Double {
        let e = epoch(k, of: epochs)
        guard let c = e.cosine else { return base * e.factor }
        let total = Double(c.horizon * batches), t = Double(c.start * batches + b)
        return base * e.factor * 0.5 * (1 + cos(Double.pi * t / max(total, 1)))
    }
}

/// How beta rises over phase 2, from about 1 to beta_final, geometrically.
public enum BetaSchedule: String, Hashable, Sendable, CaseIterable {
    /// The reference's: constant within an epoch, multiplied by beta_final^(1/E2) at the start of
    /// each, so epoch k uses beta_final^((k+1)/E2). With one phase-2 epoch that is beta_final from
    /// the first step.
    case epoch
    /// The same ramp taken step by step: step t of T = E2 * batches uses beta_final^((t+1)/T), so
    /// a short phase 2 still starts soft. It ends each epoch at the `epoch` schedule's value.
    case step
}

/// A malformed schedule, with what the forms are.
public struct ScheduleSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension LearningRateSchedule: Codable {
    /// Stored as its text form, as config.json and report.json show it.
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            self = try LearningRateSchedule(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

extension BetaSchedule: Codable {}
