import CDNALKernels
import Foundation

/// The DNAL channel gate: y[p][c] = x[p][c] * g[c].
///
/// In search mode g = sigmoid(beta * alpha) * mask and the gate learns alpha; in hard mode
/// g = mask (fine-tuning the derived network); in identity mode g = 1 (training weights).
public enum GateKernel {
    /// How the gate acts.
    public enum Mode: String, Sendable, CaseIterable {
        case identity, search, hard
    }

    /// The per-channel factor for `mode`.
    public static func factors(alpha: UnsafePointer<Float>, mask: UnsafePointer<Float>, channels: Int, beta: Float,
                               mode: Mode) -> [Float] {
        (0..<channels).map { c in
            switch mode {
            case .identity: return 1
            case .hard: return mask[c]
            case .search: return sigmoid(beta * alpha[c]) * mask[c]
            }
        }
    }

    /// 1 / (1 + e^-x), stable for large |x| (beta reaches 1e4).
    public static func sigmoid(_ x: Float) -> Float {
        x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
    }

    /// y = x * factor[c]; x, y: [pixels, channels]
    public static func forward(x: UnsafePointer<Float>, pixels: Int, channels c: Int, factors: [Float],
                               y: UnsafeMutablePointer<Float>, parallel: Parallel) {
        BatchNormKernel.affine(x: x, pixels: pixels, channels: c, scale: factors, shift: nil, y: y, parallel: parallel)
    }

    /// dx = dy * factor[c]; in search mode also dAlpha[c] += beta * s * (1 - s) * mask * sum(dy * x),
    /// with s = sigmoid(beta * alpha).
    public static func backward(dOutput: UnsafePointer<Float>, x: UnsafePointer<Float>, pixels: Int, channels c: Int,
                                factors: [Float], alpha: UnsafePointer<Float>, mask: UnsafePointer<Float>, beta: Float,
                                mode: Mode, dInput: UnsafeMutablePointer<Float>, dAlpha: UnsafeMutablePointer<Float>,
                                parallel: Parallel) {
        if mode == .search {
            let sums = BatchNormKernel.reduce(pixels: pixels, channels: c, parallel: parallel) { r, sum in
                dnal_channel_dot(dOutput + r.lowerBound * c, x + r.lowerBound * c, r.count, Int32(c), nil, sum)
            }
            for i in 0..<c {
                let s = sigmoid(beta * alpha[i])
                dAlpha[i] += Float(sums[i]) * beta * s * (1 - s) * mask[i]
            }
        }
        BatchNormKernel.affine(x: dOutput, pixels: pixels, channels: c, scale: factors, shift: nil, y: dInput, parallel: parallel)
    }
}
