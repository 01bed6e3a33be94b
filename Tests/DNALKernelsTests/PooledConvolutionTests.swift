import DNALKernels
import DNALTestSupport
import Testing

/// `Convolution.forwardPooled` (inference: a conv and the max pool reading it, a group of images
/// at a time) against its definition: the reference convolution with its activation, then the
/// reference max pool.
@Suite("Pooled convolution")
struct PooledConvolutionTests {
    /// (height, width, inputs, outputs, kernel, batch): a narrow layer whose group is 3 images
    /// (19 x 32 x 32 floats each), so 7 images end in a partial group; a Winograd layer on a 9 x 9
    /// map (the pool drops its last row and column); a small map whose group spans the batch;
    /// a 1x1 layer; a 4x4 map with 1.2 MB of weights, read by tap class and as column panels,
    /// which pools each worker's whole share of the batch at once.
    static let cases: [(Int, Int, Int, Int, Int, Int)] = [
        (32, 32, 5, 19, 3, 7),
        (9, 9, 40, 40, 3, 3),
        (4, 4, 24, 36, 3, 5),
        (6, 10, 8, 24, 1, 3),
        (4, 4, 64, 520, 3, 5),
    ]

    @Test("a conv and its max pool by groups of images equal conv, activation and pool", arguments: cases.indices)
    func pooled(k: Int) throws {
        let (h, w, cin, cout, kernel, batch) = Self.cases[k]
        let g = ConvGeometry(batch: batch, inHeight: h, inWidth: w, inChannels: cin, outChannels: cout, kernel: kernel,
                             padding: kernel / 2)
        let pool = PoolKernel.Geometry(batch: batch, height: g.outHeight, width: g.outWidth, channels: cout, kernel: 2, stride: 2,
                                       padding: 0)
        let x = Numerics.random(g.inputCount, seed: 61).map(Float.init)
        let weight = Numerics.random(g.weightCount, seed: 62, scale: 0.5).map(Float.init)
        let bias = Numerics.random(cout, seed: 63).map(Float.init)
        let scale = Numerics.random(cout, seed: 64).map { Float(1 + $0 * 0.5) }
        var conv = [Float](repeating: 0, count: g.outputCount)
        ConvolutionReference.forward(g, x: x, weight: weight.indices.map { weight[$0] * scale[$0 % cout] }, bias: bias, y: &conv)
        let expected = PointwiseReference.pool(conv.map { max($0, 0) }, pool, max: true)
        for isa in KernelISA.supported {
            for threads in [1, 2] {
                var y = [Float](repeating: .nan, count: pool.outputCount)
                weight.withUnsafeBufferPointer { pw in
                    bias.withUnsafeBufferPointer { pb in
                        scale.withUnsafeBufferPointer { ps in
                            let call = Convolution.FusedCall(g, fusion: Convolution.Fusion(), weight: pw.baseAddress!,
                                                             bias: pb.baseAddress, outputScale: ps.baseAddress, activation: .relu)
                            Convolution.forwardPooled(call, pool: pool, x: x, y: &y, parallel: Parallel(threads: threads, isa: isa),
                                                      workspace: Workspace())
                        }
                    }
                }
                let m = Numerics.firstMismatch(y, expected, rtol: 1e-4, atol: 1e-4)
                #expect(m == nil, "case \(k) \(isa) threads \(threads): \(String(describing: m))")
            }
        }
    }
}
