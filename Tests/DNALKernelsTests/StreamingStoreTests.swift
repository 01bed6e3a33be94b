import DNALKernels
import DNALTestSupport
import Testing

/// The passes that may store past the caches (`StreamingStores`: the batch-norm passes, the
/// depthwise forward, the dense conv's microkernel stores): with the threshold lowered to zero
/// and their outputs on 64-byte boundaries (where they stream), every ISA's output equals the
/// plain stores' bit for bit. Channel counts are whole vectors (16, 48, 144: they stream) and
/// not (24 on AVX-512, 20: they fall back to plain stores).
@Suite("Streaming stores")
struct StreamingStoreTests {
    /// The first index where a and b differ in bits, with both values (nil: identical).
    static func firstDifference(_ a: [Float], _ b: [Float]) -> String? {
        guard a.count == b.count else { return "counts \(a.count) and \(b.count)" }
        return a.indices.first { a[$0].bitPattern != b[$0].bitPattern }.map { "[\($0)] \(a[$0]) vs \(b[$0])" }
    }

    /// Floats on a 64-byte boundary, as the executor's arena gives them.
    final class Aligned {
        let pointer: UnsafeMutablePointer<Float>
        let count: Int
        init(_ values: [Float]) {
            count = values.count
            pointer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
                .bindMemory(to: Float.self, capacity: max(count, 1))
            pointer.initialize(from: values, count: count)
        }
        convenience init(count: Int) { self.init([Float](repeating: .nan, count: count)) }
        var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
        deinit { pointer.deallocate() }
    }

    /// y and dX of a fused batch-norm block's forward and backward training passes.
    static func normPasses(pixels: Int, channels c: Int, activation: FusedNormKernel.Activation,
                           isa: KernelISA) -> (y: [Float], dInput: [Float]) {
        let x = Aligned(Numerics.random(pixels * c, seed: 3).enumerated().map { Float($0.element * 4 + Double($0.offset % c) * 0.1) })
        let dz = Aligned(Numerics.random(pixels * c, seed: 4).map(Float.init))
        let gamma = Numerics.random(c, seed: 5).map { Float(1 + $0) }
        let shift = Numerics.random(c, seed: 6).map { Float($0 * 3) }
        let gate = Numerics.random(c, seed: 7).map { Float(0.5 + $0 / 2) }
        var runningMean = [Float](repeating: 0, count: c), runningVariance = [Float](repeating: 1, count: c)
        var dGamma = [Float](repeating: 0, count: c), dShift = dGamma
        let y = Aligned(count: pixels * c), dx = Aligned(count: pixels * c)
        var saved = FusedNormKernel.Saved(channels: c)
        let parallel = Parallel(threads: 2, isa: isa)
        FusedNormKernel.forwardTraining(x: x.pointer, pixels: pixels, channels: c, gamma: gamma, shift: shift, epsilon: 1e-5,
                                        momentum: 0.1, runningMean: &runningMean, runningVariance: &runningVariance,
                                        gate: gate, activation: activation, y: y.pointer, saved: &saved, parallel: parallel)
        FusedNormKernel.backward(dOutput: dz.pointer, x: x.pointer, pixels: pixels, channels: c, gamma: gamma, shift: shift,
                                 gate: gate, activation: activation, saved: saved, dInput: dx.pointer, dGamma: &dGamma,
                                 dShift: &dShift, dAlpha: nil, gateSlopes: nil, parallel: parallel)
        return (y.array, dx.array)
    }

    /// Runs `outputs` with plain stores and with every output streamed, and expects the same bits.
    static func expectStreamedEqualsPlain(_ label: String, _ outputs: () -> (y: [Float], dInput: [Float])) {
        let plain = StreamingStores.$minimumBytes.withValue(Int.max, operation: outputs)
        let streamed = StreamingStores.$minimumBytes.withValue(0, operation: outputs)
        let y = firstDifference(streamed.y, plain.y), dx = firstDifference(streamed.dInput, plain.dInput)
        #expect(y == nil, "\(label) y: \(y ?? "")")
        #expect(dx == nil, "\(label) dX: \(dx ?? "")")
    }

    @Test("batch-norm passes: streamed equals plain", arguments: [(64, 16), (130, 48), (300, 144), (129, 24), (70, 20)])
    func normPassesMatch(pixels: Int, channels c: Int) {
        for isa in KernelISA.supported {
            for act in [FusedNormKernel.Activation.none, .relu, .relu6] {
                Self.expectStreamedEqualsPlain("\(isa) \(act) \(pixels)x\(c)") {
                    Self.normPasses(pixels: pixels, channels: c, activation: act, isa: isa)
                }
            }
        }
    }

    /// A conv's forward output (with an activation) and input gradient; for a depthwise conv of
    /// stride 1 the gradient runs the forward kernel with flipped filters.
    static func convPasses(_ g: ConvGeometry, activation: FusedNormKernel.Activation, isa: KernelISA) -> (y: [Float], dInput: [Float]) {
        let x = Aligned(Numerics.random(g.inputCount, seed: 8).map(Float.init))
        let w = Numerics.random(g.weightCount, seed: 9, scale: 0.5).map(Float.init)
        let b = Numerics.random(g.outChannels, seed: 10).map(Float.init)
        let dy = Aligned(Numerics.random(g.outputCount, seed: 11).map(Float.init))
        let y = Aligned(count: g.outputCount), dx = Aligned(count: g.inputCount)
        let parallel = Parallel(threads: 2, isa: isa)
        Convolution.forward(g, x: x.pointer, weight: w, bias: b, y: y.pointer, activation: activation, parallel: parallel,
                            workspace: Workspace())
        Convolution.backwardInput(g, dOutput: dy.pointer, weight: w, dInput: dx.pointer, parallel: parallel, workspace: Workspace())
        return (y.array, dx.array)
    }

    // (batch, H, W, channels, kernel, stride, padding): 32-pixel rows of tiles of 8, a 5x5,
    // stride 2 (its forward streams; its gradient scatters; on 32 columns in tiles), short rows,
    // channels not in vectors
    @Test("depthwise: streamed equals plain", arguments: [
        (2, 5, 32, 16, 3, 1, 1), (2, 4, 17, 48, 5, 1, 2), (2, 9, 9, 32, 3, 2, 1), (3, 4, 4, 144, 3, 1, 1),
        (2, 5, 12, 24, 3, 1, 1), (1, 6, 10, 20, 3, 1, 1), (2, 6, 32, 32, 3, 2, 1),
    ])
    func depthwiseMatches(shape: (Int, Int, Int, Int, Int, Int, Int)) {
        let (n, h, w, c, k, s, p) = shape
        let g = ConvGeometry(batch: n, inHeight: h, inWidth: w, inChannels: c, outChannels: c, kernel: k, stride: s,
                             padding: p, groups: c)
        for isa in KernelISA.supported {
            Self.expectStreamedEqualsPlain("\(isa) \(g)") { Self.convPasses(g, activation: .relu, isa: isa) }
        }
    }

    // (batch, H, W, in, out, kernel, stride, padding): 1x1 (expand 24 -> 144 and project back:
    // the gradient streams 144 channels), a 1x1 whose inner product runs in K blocks (800), a
    // padded 3x3 (rows from the band), stride 2, a 4x4 map (tap classes: scratch, never
    // streamed), outputs not in whole vectors (20)
    @Test("dense conv: streamed equals plain", arguments: [
        (2, 6, 32, 24, 144, 1, 1, 0), (2, 6, 32, 144, 24, 1, 1, 0), (1, 3, 12, 800, 32, 1, 1, 0),
        (2, 5, 19, 16, 48, 3, 1, 1), (2, 9, 9, 32, 64, 3, 2, 1), (3, 4, 4, 32, 32, 3, 1, 1), (2, 5, 11, 16, 20, 3, 1, 1),
    ])
    func denseMatches(shape: (Int, Int, Int, Int, Int, Int, Int, Int)) {
        let (n, h, w, ci, co, k, s, p) = shape
        let g = ConvGeometry(batch: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co, kernel: k, stride: s,
                             padding: p)
        for isa in KernelISA.supported {
            Self.expectStreamedEqualsPlain("\(isa) \(g)") { Self.convPasses(g, activation: .relu6, isa: isa) }
        }
    }
}
