import DNALKernels
import DNALTestSupport
import Testing

/// The batch-norm passes of a training step (statistics, the fused affine + activation, the
/// backward reductions and dX) on every vector ISA against the scalar path, which runs their
/// portable twins: bit for bit. Channel counts cross the edges of the vectorised code: a partial
/// vector, rows of 1 to 4 vectors kept in registers, wider rows summed through memory with a
/// masked tail (their statistics' second sweep in register groups of 4 vectors: 128 channels
/// fill two, 200 leave a group of one partial vector); pixel counts cross its 64-pixel float
/// blocks.
@Suite("Batch-norm passes per ISA")
struct BatchNormPassTests {
    static let shapes: [(pixels: Int, channels: Int)] = [
        (1, 5), (63, 1), (64, 8), (65, 16), (200, 17), (129, 24), (70, 33), (130, 40),
        (66, 64), (127, 65), (64, 72), (150, 150), (64, 128), (90, 200),
        // rows walked flat (pointwise_flat.h), periods of 64, 80, 96 and 112 floats, with tails
        // inside a period and blocks of 64 pixels that are not whole periods' multiples
        (1, 8), (129, 8), (200, 5), (130, 10), (97, 3), (64, 12), (150, 7), (66, 56), (65, 20), (70, 24),
        (100, 48), (63, 14), (33, 2), (300, 40),
    ]

    /// Everything one forward and backward training pass produces.
    struct Outputs {
        var y: [Float], mean: [Float], inverseStd: [Float], runningMean: [Float], runningVariance: [Float]
        var dInput: [Float], dGamma: [Float], dShift: [Float], dAlpha: [Float]

        var fields: [(String, [Float])] {
            [("y", y), ("mean", mean), ("inverseStd", inverseStd), ("runningMean", runningMean),
             ("runningVariance", runningVariance), ("dInput", dInput), ("dGamma", dGamma), ("dShift", dShift),
             ("dAlpha", dAlpha)]
        }
    }

    /// A pass's inputs: pixels x c activations and gradients, and the per-channel parameters.
    struct Inputs {
        var x: [Float], dz: [Float], gamma: [Float], shift: [Float], gate: [Float], slopes: [Float]

        init(pixels: Int, channels c: Int) {
            // per-channel offsets so the centred sums matter; values around the activation's kinks
            x = Numerics.random(pixels * c, seed: 11).enumerated().map { Float($0.element * 4 + Double($0.offset % c) * 0.1) }
            dz = Numerics.random(pixels * c, seed: 12).map(Float.init)
            gamma = Numerics.random(c, seed: 13).map { Float(1 + $0) }
            shift = Numerics.random(c, seed: 14).map { Float($0 * 3) }
            gate = Numerics.random(c, seed: 15).map { Float(0.5 + $0 / 2) }
            slopes = Numerics.random(c, seed: 16).map { Float(abs($0)) }
        }

        /// The same pixels with `extra` more channels after the c of each (fresh values), for a
        /// row that is a whole number of vectors.
        func widened(pixels: Int, channels c: Int, extra: Int) -> Inputs {
            var w = Inputs(pixels: pixels, channels: c + extra)
            for p in 0..<pixels {
                for ch in 0..<c {
                    w.x[p * (c + extra) + ch] = x[p * c + ch]
                    w.dz[p * (c + extra) + ch] = dz[p * c + ch]
                }
            }
            for ch in 0..<c {
                (w.gamma[ch], w.shift[ch], w.gate[ch], w.slopes[ch]) = (gamma[ch], shift[ch], gate[ch], slopes[ch])
            }
            return w
        }
    }

    static func run(pixels: Int, channels c: Int, activation: FusedNormKernel.Activation, isa: KernelISA,
                    nanInOutputGradient: Bool = false) -> Outputs {
        var inputs = Inputs(pixels: pixels, channels: c)
        if nanInOutputGradient { inputs.dz[0] = .nan }
        return run(inputs, pixels: pixels, channels: c, activation: activation, isa: isa)
    }

    static func run(_ inputs: Inputs, pixels: Int, channels c: Int, activation: FusedNormKernel.Activation,
                    isa: KernelISA) -> Outputs {
        let (x, dz, gamma, shift, gate, slopes) = (inputs.x, inputs.dz, inputs.gamma, inputs.shift, inputs.gate, inputs.slopes)
        var out = Outputs(y: .init(repeating: 0, count: pixels * c), mean: [], inverseStd: [],
                          runningMean: .init(repeating: 0, count: c), runningVariance: .init(repeating: 1, count: c),
                          dInput: .init(repeating: 0, count: pixels * c), dGamma: .init(repeating: 0, count: c),
                          dShift: .init(repeating: 0, count: c), dAlpha: .init(repeating: 0, count: c))
        var saved = FusedNormKernel.Saved(channels: c)
        let parallel = Parallel(threads: 2, isa: isa)
        FusedNormKernel.forwardTraining(x: x, pixels: pixels, channels: c, gamma: gamma, shift: shift, epsilon: 1e-5,
                                        momentum: 0.1, runningMean: &out.runningMean, runningVariance: &out.runningVariance,
                                        gate: gate, activation: activation, y: &out.y, saved: &saved, parallel: parallel)
        FusedNormKernel.backward(dOutput: dz, x: x, pixels: pixels, channels: c, gamma: gamma, shift: shift, gate: gate,
                                 activation: activation, saved: saved, dInput: &out.dInput, dGamma: &out.dGamma,
                                 dShift: &out.dShift, dAlpha: &out.dAlpha, gateSlopes: slopes, parallel: parallel)
        out.mean = saved.batchNorm.mean
        out.inverseStd = saved.batchNorm.inverseStd
        return out
    }

    @Test("every pass on every ISA equals the scalar path", arguments: shapes.indices)
    func matchesScalar(k: Int) {
        let (pixels, c) = Self.shapes[k]
        for act in [FusedNormKernel.Activation.none, .relu, .relu6] {
            let want = Self.run(pixels: pixels, channels: c, activation: act, isa: .scalar)
            for isa in KernelISA.supported where isa != .scalar {
                let got = Self.run(pixels: pixels, channels: c, activation: act, isa: isa)
                for ((name, a), (_, b)) in zip(got.fields, want.fields) {
                    // bit for bit: the same operations in the same order, rounded alike (an ulp
                    // in the affine pass is the whole signal of a channel constant in exact
                    // arithmetic once the next batch norm normalises it)
                    let bad = a.indices.first { a[$0] != b[$0] }.map { ($0, a[$0], b[$0]) }
                    #expect(bad == nil, "\(isa) \(act) \(pixels)x\(c) \(name): \(String(describing: bad))")
                }
            }
        }
    }

    /// Rows walked flat (pointwise_flat.h) sum in another order than rows of whole vectors, so
    /// the flat walk is checked against the per-pixel one: the same channels widened by fresh
    /// ones to a multiple of 16 give the same statistics, outputs and gradients to float rounding.
    /// (The per-ISA test above only shows that the vector and portable flat walks agree.)
    @Test("rows walked flat agree with rows of whole vectors", arguments: [(129, 8), (200, 5), (130, 10), (150, 7), (66, 56), (100, 48)])
    func flatWalkMatchesWholeVectors(pixels: Int, channels c: Int) {
        let inputs = Inputs(pixels: pixels, channels: c)
        let extra = (c + 15) / 16 * 16 - c
        for isa in KernelISA.supported {
            for act in [FusedNormKernel.Activation.none, .relu, .relu6] {
                let flat = Self.run(inputs, pixels: pixels, channels: c, activation: act, isa: isa)
                let wide = Self.run(inputs.widened(pixels: pixels, channels: c, extra: extra), pixels: pixels,
                                    channels: c + extra, activation: act, isa: isa)
                for ((name, a), (_, b)) in zip(flat.fields, wide.fields) {
                    let perPixel = a.count == c ? 1 : pixels
                    let picked = (0..<perPixel).flatMap { p in (0..<c).map { b[p * (b.count / perPixel) + $0] } }
                    #expect(Numerics.firstMismatch(a, picked, rtol: 2e-5, atol: 2e-5) == nil, "\(isa) \(act) \(pixels)x\(c) \(name)")
                }
            }
        }
    }

    /// A NaN in the incoming gradient spoils its channel's sums, so every dX of that channel, and
    /// only that channel, is NaN on every path (a vector path must not mask it away).
    @Test("a NaN in dY reaches every dX of its channel", arguments: [(65, 16), (70, 33), (64, 72), (129, 8), (200, 5)])
    func nanPropagates(pixels: Int, channels c: Int) {
        for isa in KernelISA.supported {
            for act in [FusedNormKernel.Activation.none, .relu, .relu6] {
                let got = Self.run(pixels: pixels, channels: c, activation: act, isa: isa, nanInOutputGradient: true)
                let channel0 = stride(from: 0, to: pixels * c, by: c).map { got.dInput[$0] }
                let othersFinite = got.dInput.enumerated().allSatisfy { $0.offset % c == 0 || $0.element.isFinite }
                let shiftsRight = got.dShift[0].isNaN && got.dShift.dropFirst().allSatisfy { $0.isFinite }
                #expect(channel0.allSatisfy { $0.isNaN }, "\(isa) \(act)")
                #expect(othersFinite, "\(isa) \(act)")
                #expect(shiftsRight, "\(isa) \(act)")
            }
        }
    }

    /// The one-pass statistics against the float data's exact mean and variance (in double):
    /// channels far from zero (a mean of 1000 and a standard deviation of 0.5, where plain sums
    /// of squares lose every digit), a constant channel (variance exactly 0), and ordinary ones,
    /// over 1 and 2 workers, pieces of the pixels merged in order.
    @Test("batch statistics stay exact where plain sums of squares cancel", arguments: [1, 2])
    func statisticsAccuracy(threads: Int) {
        let pixels = 5000, c = 4
        let noise = Numerics.random(pixels * c, seed: 21)
        let x = (0..<(pixels * c)).map { i -> Float in
            switch i % c {
            case 0: return Float(1000 + noise[i])      // offset 1000, sd 0.5 (uniform on +-1, scaled)
            case 1: return 7.25                          // constant
            case 2: return Float(noise[i] * 3 - 0.5)
            default: return Float(-1e-3 + noise[i] * 1e-4)
            }
        }
        var saved = BatchNormKernel.Saved(channels: c)
        var runningMean = [Float](repeating: 0, count: c), runningVariance = [Float](repeating: 1, count: c)
        BatchNormKernel.statistics(x: x, pixels: pixels, channels: c, epsilon: 1e-5, momentum: 1, runningMean: &runningMean,
                                   runningVariance: &runningVariance, saved: &saved, parallel: Parallel(threads: threads))
        for ch in 0..<c {
            let v = stride(from: ch, to: x.count, by: c).map { Double(x[$0]) }
            let mean = v.reduce(0, +) / Double(pixels)
            let variance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(pixels)
            #expect(abs(Double(saved.mean[ch]) - mean) <= 1e-6 * max(1, abs(mean)), "channel \(ch) mean")
            let inverseStd = 1 / (variance + 1e-5).squareRoot()
            #expect(abs(Double(saved.inverseStd[ch]) - inverseStd) <= 1e-5 * inverseStd, "channel \(ch) 1/std")
            let unbiased = variance * Double(pixels) / Double(pixels - 1)
            #expect(abs(Double(runningVariance[ch]) - unbiased) <= 1e-5 * unbiased + 1e-12, "channel \(ch) running variance")
        }
        #expect(runningVariance[1] == 0, "a constant channel's variance is exactly 0")
    }
}
