import DNALKernels
import DNALTestSupport
import Testing

/// The batch-norm passes of a training step (statistics, the fused affine + activation, the
/// backward reductions and dX) on every vector ISA against the scalar path, which runs their
/// portable twins: bit for bit. Channel counts cross the edges of the vectorised code: a partial
/// vector, rows of 1 to 4 vectors kept in registers, wider rows summed through memory with a
/// masked tail; pixel counts cross its 64-pixel float blocks.
@Suite("Batch-norm passes per ISA")
struct BatchNormPassTests {
    static let shapes: [(pixels: Int, channels: Int)] = [
        (1, 5), (63, 1), (64, 8), (65, 16), (200, 17), (129, 24), (70, 33), (130, 40),
        (66, 64), (127, 65), (64, 72), (150, 150),
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

    static func run(pixels: Int, channels c: Int, activation: FusedNormKernel.Activation, isa: KernelISA,
                    nanInOutputGradient: Bool = false) -> Outputs {
        // per-channel offsets so the centred sums matter; values around the activation's kinks
        let x = Numerics.random(pixels * c, seed: 11).enumerated().map { Float($0.element * 4 + Double($0.offset % c) * 0.1) }
        var dz = Numerics.random(pixels * c, seed: 12).map(Float.init)
        if nanInOutputGradient { dz[0] = .nan }
        let gamma = Numerics.random(c, seed: 13).map { Float(1 + $0) }
        let shift = Numerics.random(c, seed: 14).map { Float($0 * 3) }
        let gate = Numerics.random(c, seed: 15).map { Float(0.5 + $0 / 2) }
        let slopes = Numerics.random(c, seed: 16).map { Float(abs($0)) }
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

    /// A NaN in the incoming gradient spoils its channel's sums, so every dX of that channel, and
    /// only that channel, is NaN on every path (a vector path must not mask it away).
    @Test("a NaN in dY reaches every dX of its channel", arguments: [(65, 16), (70, 33), (64, 72)])
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
}
