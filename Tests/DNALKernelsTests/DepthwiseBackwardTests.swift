import DNALKernels
import DNALTestSupport
import Testing

/// `Convolution.depthwiseBackward` (both gradients of a depthwise conv, image by image from a
/// worker's buffer) against the scalar reference and the layer-by-layer kernels.
@Suite("Depthwise backward, image by image", .serialized)
struct DepthwiseBackwardTests {
    // (batch, H, W, C, kernel, stride, padding): MobileNetV2's 32x32 layer (dInput as the forward
    // kernel with flipped filters), stride 2 (the transposed kernel), a channel tail on an odd
    // map, a 5x5, and a batch that 2 workers split unevenly
    static let geometries: [ConvGeometry] = [
        (2, 32, 32, 144, 3, 1, 1), (3, 16, 16, 48, 3, 2, 1), (3, 5, 7, 20, 3, 1, 1), (2, 9, 9, 16, 5, 1, 2),
        (5, 4, 4, 33, 3, 1, 1),
    ].map { ConvGeometry(batch: $0.0, inHeight: $0.1, inWidth: $0.2, inChannels: $0.3, outChannels: $0.3, kernel: $0.4,
                         stride: $0.5, padding: $0.6, groups: $0.3) }

    /// Runs depthwiseBackward with `dy` produced image by image; records how often each image was.
    static func run(_ g: ConvGeometry, x: [Float], w: [Float], dy: [Float], dw: inout [Float], db: inout [Float],
                    dx: inout [Float], inputGradient: Bool, parallel: Parallel) -> [Int] {
        var produced = [Int](repeating: 0, count: g.batch)
        let perImage = g.outHeight * g.outWidth * g.outChannels
        dx.withUnsafeMutableBufferPointer { dxp in
            Convolution.depthwiseBackward(g, x: x, weight: w, dInput: inputGradient ? dxp.baseAddress! : nil, dWeight: &dw,
                                          dBias: &db, parallel: parallel, workspace: Workspace()) { images, rows in
                for i in images { produced[i] += 1 }
                for k in 0..<(images.count * perImage) { rows[k] = dy[images.lowerBound * perImage + k] }
            }
        }
        return produced
    }

    @Test("gradients equal the reference on every ISA", arguments: geometries)
    func gradients(g: ConvGeometry) {
        let c = ReferenceGradientCase(g, seed: 71)
        let (x, w, dy, startW, startB) = (c.x, c.weight, c.dOutput, c.startWeight, c.startBias)
        let (expectedW, expectedB, expectedX) = (c.expectedWeight, c.expectedBias, c.expectedInput)
        let atolW = 1e-5 * Double(g.batch * g.outHeight * g.outWidth + 1), atolX = 1e-5 * Double(g.kernel * g.kernel + 1)
        for isa in KernelISA.supported {
            for threads in [1, 2] {
                for inputGradient in [false, true] {
                    var dw = startW, db = startB, dx = [Float](repeating: .nan, count: g.inputCount)
                    let produced = Self.run(g, x: x, w: w, dy: dy, dw: &dw, db: &db, dx: &dx, inputGradient: inputGradient,
                                            parallel: Parallel(threads: threads, isa: isa))
                    let label = "\(isa) threads \(threads) dInput \(inputGradient) \(g)"
                    #expect(produced.allSatisfy { $0 == 1 }, "every image produced exactly once: \(label)")
                    #expect(Numerics.firstMismatch(dw, expectedW, rtol: 1e-4, atol: atolW) == nil, "dWeight \(label)")
                    #expect(Numerics.firstMismatch(db, expectedB, rtol: 1e-4, atol: atolW) == nil, "dBias \(label)")
                    if inputGradient {
                        #expect(Numerics.firstMismatch(dx, expectedX, rtol: 1e-4, atol: atolX) == nil, "dInput \(label)")
                    } else {
                        #expect(dx.allSatisfy { $0.isNaN }, "dInput untouched: \(label)")
                    }
                }
            }
        }
    }

    @Test("one worker sums in the layer-by-layer kernels' order, bit for bit", arguments: geometries)
    func sameSumsAsLayerByLayer(g: ConvGeometry) {
        let x = Numerics.random(g.inputCount, seed: 81).map(Float.init)
        let w = Numerics.random(g.weightCount, seed: 82, scale: 0.5).map(Float.init)
        let dy = Numerics.random(g.outputCount, seed: 83).map(Float.init)
        let layer = LayerByLayerGradients(g, x: x, weight: w, dOutput: dy)
        var dw = [Float](repeating: 0, count: g.weightCount), db = [Float](repeating: 0, count: g.outChannels)
        var dx = [Float](repeating: .nan, count: g.inputCount)
        _ = Self.run(g, x: x, w: w, dy: dy, dw: &dw, db: &db, dx: &dx, inputGradient: true, parallel: Parallel(threads: 1))
        #expect(dw == layer.weight)
        #expect(db == layer.bias)
        #expect(dx == layer.input)
    }
}
