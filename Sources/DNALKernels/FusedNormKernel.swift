import CDNALKernels

/// Batch norm, DNAL gate and activation fused into one pass over a conv's output (and two
/// passes backward), the conv line the DSL writes as `conv: {bn: true, gate: true, act: relu}`.
///
/// Forward: y = act(g[c] * BN(x)) = act(x * scale[c] + shift[c]) with the gate factor g folded
/// into the per-channel scale and shift. Backward recomputes the activation's mask from x, so
/// the block's output need not be kept.
public enum FusedNormKernel {
    /// The activation after the gate.
    public enum Activation: Int32, Sendable {
        case none = 0, relu = 1, relu6 = 2
    }

    /// What the forward pass leaves for the backward pass.
    public struct Saved {
        public var batchNorm: BatchNormKernel.Saved
        /// Gate-folded scale and shift used by the forward pass.
        public var scale: [Float]
        public var shift: [Float]
        public init(channels: Int) {
            batchNorm = BatchNormKernel.Saved(channels: channels)
            scale = Array(repeating: 0, count: channels)
            shift = scale
        }
    }

    /// y = act(g * BN_batch(x)); updates the running statistics. x, y: [pixels, channels]. With
    /// y nil, only the statistics and `saved` (the affine a reader then applies itself,
    /// `Convolution.InputAffine`).
    public static func forwardTraining(x: UnsafePointer<Float>, pixels: Int, channels c: Int, gamma: UnsafePointer<Float>,
                                       shift bnShift: UnsafePointer<Float>, epsilon: Float, momentum: Float,
                                       runningMean: UnsafeMutablePointer<Float>, runningVariance: UnsafeMutablePointer<Float>,
                                       gate: [Float], activation: Activation, y: UnsafeMutablePointer<Float>?,
                                       saved: inout Saved, parallel: Parallel) {
        BatchNormKernel.statistics(x: x, pixels: pixels, channels: c, epsilon: epsilon, momentum: momentum,
                                   runningMean: runningMean, runningVariance: runningVariance, saved: &saved.batchNorm,
                                   parallel: parallel)
        for i in 0..<c {
            let s = gamma[i] * saved.batchNorm.inverseStd[i]
            saved.scale[i] = gate[i] * s
            saved.shift[i] = gate[i] * (bnShift[i] - saved.batchNorm.mean[i] * s)
        }
        guard let y else { return }
        apply(x: x, pixels: pixels, channels: c, scale: saved.scale, shift: saved.shift, activation: activation, y: y,
              parallel: parallel)
    }

    /// y = act(g * BN_running(x)).
    public static func forwardInference(x: UnsafePointer<Float>, pixels: Int, channels c: Int, gamma: UnsafePointer<Float>,
                                        shift bnShift: UnsafePointer<Float>, epsilon: Float, runningMean: UnsafePointer<Float>,
                                        runningVariance: UnsafePointer<Float>, gate: [Float], activation: Activation,
                                        y: UnsafeMutablePointer<Float>, parallel: Parallel) {
        var scale = [Float](repeating: 0, count: c), shift = scale
        for i in 0..<c {
            let s = gamma[i] / (runningVariance[i] + epsilon).squareRoot()
            scale[i] = gate[i] * s
            shift[i] = gate[i] * (bnShift[i] - runningMean[i] * s)
        }
        apply(x: x, pixels: pixels, channels: c, scale: scale, shift: shift, activation: activation, y: y, parallel: parallel)
    }

    static func apply(x: UnsafePointer<Float>, pixels: Int, channels c: Int, scale: [Float], shift: [Float],
                      activation: Activation, y: UnsafeMutablePointer<Float>, parallel: Parallel) {
        let stream = StreamingStores.hint(floats: pixels * c)
        parallel.forEachPiece(count: pixels, grain: 256) { _, r in
            dnal_channel_affine_act(x + r.lowerBound * c, r.count, Int32(c), scale, shift, activation.rawValue, y + r.lowerBound * c,
                                    stream)
        }
    }

    /// Gradients of a training-mode block: dX (overwritten) into the conv output, dGamma and dShift
    /// accumulated, and with `gateSlopes` (d g / d alpha per channel, `Gate.slopes`, present only
    /// while alpha learns) dAlpha accumulated too. `shift` is the batch norm's own shift (its
    /// "beta"), not the gate's sharpness.
    public static func backward(dOutput dz: UnsafePointer<Float>, x: UnsafePointer<Float>, pixels: Int, channels c: Int,
                                gamma: UnsafePointer<Float>, shift bnShift: UnsafePointer<Float>, gate: [Float], activation: Activation,
                                saved: Saved, dInput: UnsafeMutablePointer<Float>, dGamma: UnsafeMutablePointer<Float>,
                                dShift: UnsafeMutablePointer<Float>, dAlpha: UnsafeMutablePointer<Float>?, gateSlopes: [Float]?,
                                sums: [Double]? = nil, parallel: Parallel) {
        let factors = backwardFactors(dOutput: dz, x: x, pixels: pixels, channels: c, gamma: gamma, shift: bnShift, gate: gate,
                                      activation: activation, saved: saved, dGamma: dGamma, dShift: dShift, dAlpha: dAlpha,
                                      gateSlopes: gateSlopes, sums: sums, parallel: parallel)
        let stream = StreamingStores.hint(floats: pixels * c)
        parallel.forEachPiece(count: pixels, grain: 256) { _, r in
            backwardData(factors, dOutput: dz, x: x, pixels: r, channels: c, gate: gate, activation: activation, saved: saved,
                         dInputRows: dInput + r.lowerBound * c, stream: stream)
        }
    }

    /// What the second backward pass needs per channel once the first has reduced the batch:
    /// dX = k1 * (dz*m*g - k2 - (x - mean) * k3).
    public struct BackwardFactors: Sendable {
        var k1: [Float], k2: [Float], k3: [Float]
    }

    /// The first backward pass: the batch's sums, dGamma, dShift (and dAlpha) accumulated, and
    /// the factors of dX (`backwardData`). `sums`, when given, are the batch's sums already
    /// taken (`reduce`, by the pass that wrote dz), and the pass over dz and x is skipped.
    public static func backwardFactors(dOutput dz: UnsafePointer<Float>, x: UnsafePointer<Float>, pixels: Int, channels c: Int,
                                       gamma: UnsafePointer<Float>, shift bnShift: UnsafePointer<Float>, gate: [Float],
                                       activation: Activation, saved: Saved, dGamma: UnsafeMutablePointer<Float>,
                                       dShift: UnsafeMutablePointer<Float>, dAlpha: UnsafeMutablePointer<Float>?,
                                       gateSlopes: [Float]?, sums given: [Double]? = nil, parallel: Parallel) -> BackwardFactors {
        let sums = given ?? BatchNormKernel.reduce(pixels: pixels, channels: 2 * c, parallel: parallel) { r, sum in
            reduce(dOutput: dz, x: x, pixels: r, channels: c, activation: activation, saved: saved, into: sum)
        }
        var f = BackwardFactors(k1: [Float](repeating: 0, count: c), k2: [Float](repeating: 0, count: c),
                                k3: [Float](repeating: 0, count: c))
        let m = Double(pixels)
        for i in 0..<c {
            let a = sums[i], b = sums[c + i]                     // sum dz*m, sum dz*m*x
            let mean = Double(saved.batchNorm.mean[i]), inv = Double(saved.batchNorm.inverseStd[i])
            let g = Double(gate[i])
            let centered = b - mean * a                          // sum dz*m*(x - mean)
            dShift[i] += Float(g * a)
            dGamma[i] += Float(g * inv * centered)
            if let dAlpha, let gateSlopes {
                // d loss / d g = sum dz*m*BN(x) = gamma*inv*centered + shift*a
                dAlpha[i] += Float((Double(gamma[i]) * inv * centered + Double(bnShift[i]) * a) * Double(gateSlopes[i]))
            }
            f.k1[i] = gamma[i] * Float(inv)
            f.k2[i] = Float(g * a / m)
            f.k3[i] = Float(inv * inv * g * centered / m)
        }
        return f
    }

    /// The first backward pass's sums over `pixels` (a range of the batch's) added into `sums`
    /// (2 * channels: dz*m, then dz*m*x, m the activation's slope recomputed from x).
    public static func reduce(dOutput dz: UnsafePointer<Float>, x: UnsafePointer<Float>, pixels r: Range<Int>, channels c: Int,
                              activation: Activation, saved: Saved, into sums: UnsafeMutablePointer<Double>) {
        dnal_fused_bn_reduce(dz + r.lowerBound * c, x + r.lowerBound * c, r.count, Int32(c), saved.scale, saved.shift,
                             activation.rawValue, sums, sums + c)
    }

    /// The second backward pass over `pixels` (a range of the batch's): dX of those pixels,
    /// overwritten from `dInputRows` on (where the range's first pixel goes: into the batch's
    /// tensor, or a buffer of just these pixels), streamed past the caches with `stream`
    /// (`StreamingStores`).
    public static func backwardData(_ f: BackwardFactors, dOutput dz: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                    pixels r: Range<Int>, channels c: Int, gate: [Float], activation: Activation, saved: Saved,
                                    dInputRows: UnsafeMutablePointer<Float>, stream: Int32) {
        dnal_fused_bn_backward(dz + r.lowerBound * c, x + r.lowerBound * c, r.count, Int32(c), saved.scale, saved.shift,
                               activation.rawValue, gate, saved.batchNorm.mean, f.k1, f.k2, f.k3, dInputRows, stream)
    }
}
