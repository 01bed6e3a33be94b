#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The DNAL channel gate's mathematics, in one place (docs/dnal-method.md 1-3): its factor
/// g_c = sigmoid(beta * alpha_c) * mask_c, its slope dg_c / dalpha_c, the regulariser term
/// sigmoid(alpha_c) and its gradient, the keep test and the beta schedule. The kernels take the
/// factors and slopes as arguments; the search, its report and the pruner's masks all ask here.
public struct Gate: Sendable, Equatable {
    /// How every gate acts in a phase.
    public enum Mode: String, Sendable, CaseIterable {
        /// g = 1: phase 1 trains the weights as if there were no gates.
        case identity
        /// g = sigmoid(beta * alpha) * mask: phase 2 learns alpha.
        case search
        /// g = mask: phase 3 fine-tunes the hard-gated network; inference.
        case hard
    }

    public var mode: Mode
    /// The sharpness; only `.search` reads it.
    public var beta: Float

    public init(mode: Mode, beta: Float = 1) {
        self.mode = mode
        self.beta = beta
    }

    /// g for one channel.
    @inline(__always)
    public func factor(alpha: Float, mask: Float) -> Float {
        switch mode {
        case .identity: return 1
        case .hard: return mask
        case .search: return Self.sigmoid(beta * alpha) * mask
        }
    }

    /// dg / dalpha for one channel: beta * s * (1 - s) * mask with s = sigmoid(beta * alpha) in
    /// search mode; 0 otherwise (alpha does not reach the output).
    @inline(__always)
    public func slope(alpha: Float, mask: Float) -> Float {
        guard mode == .search else { return 0 }
        let s = Self.sigmoid(beta * alpha)
        return beta * s * (1 - s) * mask
    }

    /// The factors of `channels` channels.
    public func factors(alpha: UnsafePointer<Float>, mask: UnsafePointer<Float>, channels: Int) -> [Float] {
        (0..<channels).map { factor(alpha: alpha[$0], mask: mask[$0]) }
    }

    /// The slopes of `channels` channels, or nil when alpha gets no gradient (not `.search`).
    public func slopes(alpha: UnsafePointer<Float>, mask: UnsafePointer<Float>, channels: Int) -> [Float]? {
        guard mode == .search else { return nil }
        return (0..<channels).map { slope(alpha: alpha[$0], mask: mask[$0]) }
    }

    /// 1 / (1 + e^-x), stable for large |x| (beta * alpha reaches thousands).
    @inline(__always)
    public static func sigmoid(_ x: Float) -> Float {
        x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
    }
}

extension Gate {
    /// One channel's share of the regulariser lambda * sum(sigmoid(alpha)): sigmoid(alpha), with
    /// no beta, as the reference writes it.
    public static func regulariserTerm(alpha: Float) -> Double { Double(sigmoid(alpha)) }

    /// d sigmoid(alpha) / d alpha = s * (1 - s); the regulariser adds lambda times this to alpha's
    /// gradient.
    public static func regulariserGradient(alpha: Float) -> Double {
        let s = Double(sigmoid(alpha))
        return s * (1 - s)
    }

    /// The keep test that binarises a gate: sigmoid(betaFinal * alpha) > threshold.
    public static func keeps(alpha: Float, betaFinal: Double, threshold: Double) -> Bool {
        Double(sigmoid(Float(betaFinal) * alpha)) > threshold
    }

    /// The alpha above which `keeps` holds: logit(threshold) / betaFinal (ln 9 / 1e4 for the
    /// reference's 0.9 and 1e4).
    public static func keepBoundary(betaFinal: Double, threshold: Double) -> Double {
        log(threshold / (1 - threshold)) / betaFinal
    }

    /// Beta during phase-2 epoch k (from 0) of `epochs`: the reference multiplies beta by
    /// betaFinal^(1/E2) at the start of every phase-2 epoch, starting from 1, so epoch k uses
    /// betaFinal^((k+1)/E2): 2.51, 6.31, ..., 1e4 for E2 = 10 and betaFinal 1e4. (The reference
    /// fixes E2 at 10; with fewer epochs the same ramp is taken in fewer, larger steps.)
    public static func beta(epoch k: Int, of epochs: Int, betaFinal: Double) -> Double {
        pow(betaFinal, Double(k + 1) / Double(max(epochs, 1)))
    }

    /// Beta at step t (from 0) of the `steps` steps of phase 2 under the per-step ramp:
    /// betaFinal^((t+1)/steps), which meets `beta(epoch:of:betaFinal:)` at each epoch's last step.
    public static func beta(step t: Int, of steps: Int, betaFinal: Double) -> Double {
        pow(betaFinal, Double(t + 1) / Double(max(steps, 1)))
    }
}
