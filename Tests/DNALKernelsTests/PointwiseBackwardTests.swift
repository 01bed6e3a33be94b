import DNALKernels
import DNALTestSupport
import Testing

/// `Convolution.pointwiseBackward` (both gradients of a 1x1 conv, a group of images at a time
/// from a worker's buffer) against the scalar reference and the layer-by-layer kernels.
@Suite("Pointwise backward, image group by image group", .serialized)
struct PointwiseBackwardTests {
    // (batch, H, W, Ci, Co): tiny maps (many images per group, a batch that 2 workers split
    // unevenly), one 32x32 image of 144 channels per group (MobileNetV2's expansion), a channel
    // tail, and a map one pixel wide
    static let geometries: [ConvGeometry] = [
        (5, 3, 4, 7, 19), (3, 32, 32, 24, 144), (4, 16, 16, 40, 200), (9, 2, 2, 33, 17), (2, 6, 1, 16, 16),
    ].map { ConvGeometry(batch: $0.0, inHeight: $0.1, inWidth: $0.2, inChannels: $0.3, outChannels: $0.4, kernel: 1) }

    enum InputGradient: CaseIterable { case none, overwrite, accumulate }

    @Test("gradients equal the reference on every ISA", arguments: geometries)
    func gradients(g: ConvGeometry) {
        let c = ReferenceGradientCase(g, seed: 51)
        let (x, w, dy, startW, startB) = (c.x, c.weight, c.dOutput, c.startWeight, c.startBias)
        let (expectedW, expectedB, expectedX) = (c.expectedWeight, c.expectedBias, c.expectedInput)
        let startX = Numerics.random(g.inputCount, seed: 56).map(Float.init)
        let atolW = 1e-5 * Double(g.batch * g.outHeight * g.outWidth + 1), atolX = 1e-5 * Double(g.outChannels + 1)
        let perImage = g.outHeight * g.outWidth * g.outChannels
        for isa in KernelISA.supported {
            for threads in [1, 2] {
                for mode in InputGradient.allCases {
                    let parallel = Parallel(threads: threads, isa: isa)
                    var dw = startW, db = startB, dx = mode == .accumulate ? startX : [Float](repeating: .nan, count: g.inputCount)
                    var produced = [Bool](repeating: false, count: g.batch)
                    dx.withUnsafeMutableBufferPointer { dxp in
                        Convolution.pointwiseBackward(g, x: x, weight: w, dInput: mode == .none ? nil : dxp.baseAddress!,
                                                      accumulate: mode == .accumulate, dWeight: &dw, dBias: &db,
                                                      parallel: parallel, workspace: Workspace()) { images, rows in
                            // each image is produced once, into a buffer of its group alone
                            for i in images { produced[i] = !produced[i] }
                            for k in 0..<(images.count * perImage) { rows[k] = dy[images.lowerBound * perImage + k] }
                        }
                    }
                    let label = "\(isa) threads \(threads) \(mode) \(g)"
                    #expect(produced.allSatisfy { $0 }, "every image produced exactly once: \(label)")
                    #expect(Numerics.firstMismatch(dw, expectedW, rtol: 1e-4, atol: atolW) == nil, "dWeight \(label)")
                    #expect(Numerics.firstMismatch(db, expectedB, rtol: 1e-4, atol: atolW) == nil, "dBias \(label)")
                    switch mode {
                    case .none: break
                    case .overwrite:
                        #expect(Numerics.firstMismatch(dx, expectedX, rtol: 1e-4, atol: atolX) == nil, "dInput \(label)")
                    case .accumulate:
                        let sum = zip(startX, expectedX).map { $0 + $1 }
                        #expect(Numerics.firstMismatch(dx, sum, rtol: 1e-4, atol: atolX) == nil, "dInput added \(label)")
                    }
                }
            }
        }
    }

    @Test("one worker sums in the layer-by-layer kernels' order, bit for bit", arguments: geometries)
    func sameSumsAsLayerByLayer(g: ConvGeometry) {
        let x = Numerics.random(g.inputCount, seed: 61).map(Float.init)
        let w = Numerics.random(g.weightCount, seed: 62, scale: 0.5).map(Float.init)
        let dy = Numerics.random(g.outputCount, seed: 63).map(Float.init)
        let parallel = Parallel(threads: 1)
        let layer = LayerByLayerGradients(g, x: x, weight: w, dOutput: dy)
        var dw = [Float](repeating: 0, count: g.weightCount), db = [Float](repeating: 0, count: g.outChannels)
        var dx = [Float](repeating: .nan, count: g.inputCount)
        let perImage = g.outHeight * g.outWidth * g.outChannels
        dx.withUnsafeMutableBufferPointer { dxp in
            Convolution.pointwiseBackward(g, x: x, weight: w, dInput: dxp.baseAddress!, accumulate: false, dWeight: &dw,
                                          dBias: &db, parallel: parallel, workspace: Workspace()) { images, rows in
                for k in 0..<(images.count * perImage) { rows[k] = dy[images.lowerBound * perImage + k] }
            }
        }
        #expect(dw == layer.weight)
        #expect(db == layer.bias)
        #expect(dx == layer.input)
    }
}
