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
        let x = Numerics.random(g.inputCount, seed: 71).map(Float.init)
        let w = Numerics.random(g.weightCount, seed: 72, scale: 0.5).map(Float.init)
        let dy = Numerics.random(g.outputCount, seed: 73).map(Float.init)
        let startW = Numerics.random(g.weightCount, seed: 74).map(Float.init)
        let startB = Numerics.random(g.outChannels, seed: 75).map(Float.init)
        var expectedW = startW, expectedB = startB, expectedX = [Float](repeating: 0, count: g.inputCount)
        ConvolutionReference.backwardWeight(g, x: x, dOutput: dy, dWeight: &expectedW, dBias: &expectedB)
        ConvolutionReference.backwardInput(g, dOutput: dy, weight: w, dInput: &expectedX)
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
        let parallel = Parallel(threads: 1)
        var layerW = [Float](repeating: 0, count: g.weightCount), layerB = [Float](repeating: 0, count: g.outChannels)
        var layerX = [Float](repeating: 0, count: g.inputCount)
        Convolution.backwardWeight(g, x: x, dOutput: dy, dWeight: &layerW, dBias: &layerB, parallel: parallel, workspace: Workspace())
        Convolution.backwardInput(g, dOutput: dy, weight: w, dInput: &layerX, parallel: parallel, workspace: Workspace())
        var dw = [Float](repeating: 0, count: g.weightCount), db = [Float](repeating: 0, count: g.outChannels)
        var dx = [Float](repeating: .nan, count: g.inputCount)
        _ = Self.run(g, x: x, w: w, dy: dy, dw: &dw, db: &db, dx: &dx, inputGradient: true, parallel: parallel)
        #expect(dw == layerW)
        #expect(db == layerB)
        #expect(dx == layerX)
    }
}
