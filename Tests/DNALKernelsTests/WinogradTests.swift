import DNALKernels
import DNALTestSupport
import Testing

/// The Winograd forward, F(4x4, 3x3) and F(2x2, 3x3) (`Convolution.winogradTile`), against the
/// scalar reference convolution, on every ISA: odd map sizes (tiles hanging over the last row and column), channel
/// counts off the vector width, passes of many tiles, inner products split in K blocks, row
/// ranges that split a tile between two threads, and the gradient of a conv, which is one too.
@Suite("Winograd convolution", .serialized)
struct WinogradTests {
    // (batch, H, W, Ci, Co), and the tile Winograd takes them with
    static let cases: [(ConvGeometry, Int)] = [
        ((3, 9, 11, 33, 40), 4),    // odd sizes, tails of 1 and 8 channels; 3 threads split rows mid-tile
        ((2, 8, 8, 64, 64), 4),     // ResNet-56's last stage: every tile on the border
        ((2, 24, 24, 64, 48), 4),   // 72 tiles of 4x4 over two passes of 65
        ((1, 8, 9, 300, 20), 4),    // a product's inner product in two K blocks
        ((2, 10, 8, 24, 48), 4),    // 24 inputs: fewer than 32, more than 32 x 32 products
        ((1, 8, 9, 200, 150), 2),   // transformed weights too large for F(4x4, 3x3) (4.6 MB), not for F(2x2, 3x3)
        ((1, 13, 15, 100, 330), 2), // over two passes of 2x2 tiles, 330 = 20 x 16 + 10 outputs
        ((3, 8, 8, 19, 19), 4),     // pruned ResNet-56's last stage: 361 products, the fewest taken
        ((2, 16, 16, 19, 38), 4),   // pruned VGG16's conv3: 38 outputs, beyond the narrow path's 28
    ].map { (ConvGeometry(batch: $0.0.0, inHeight: $0.0.1, inWidth: $0.0.2, inChannels: $0.0.3, outChannels: $0.0.4,
                          kernel: 3, padding: 1), $0.1) }
    static let geometries = cases.map(\.0)

    @Test("these geometries run as Winograd with their tile on every ISA, others do not")
    func whichRun() {
        for isa in KernelISA.supported {
            let parallel = Parallel(threads: 2, isa: isa)
            for (g, tile) in Self.cases { #expect(Convolution.winogradTile(g, parallel: parallel) == tile, "\(isa) \(g)") }
            let direct = [
                ConvGeometry(batch: 1, inHeight: 32, inWidth: 32, inChannels: 16, outChannels: 16, kernel: 3, padding: 1),
                ConvGeometry(batch: 1, inHeight: 8, inWidth: 8, inChannels: 18, outChannels: 20, kernel: 3, padding: 1),
                ConvGeometry(batch: 1, inHeight: 4, inWidth: 4, inChannels: 64, outChannels: 64, kernel: 3, padding: 1),
                ConvGeometry(batch: 1, inHeight: 8, inWidth: 8, inChannels: 64, outChannels: 64, kernel: 3, stride: 2, padding: 1),
                ConvGeometry(batch: 1, inHeight: 8, inWidth: 8, inChannels: 64, outChannels: 64, kernel: 3, padding: 0),
                ConvGeometry(batch: 1, inHeight: 8, inWidth: 8, inChannels: 64, outChannels: 64, kernel: 5, padding: 2),
                ConvGeometry(batch: 1, inHeight: 8, inWidth: 8, inChannels: 512, outChannels: 512, kernel: 3, padding: 1),
                ConvGeometry(batch: 1, inHeight: 8, inWidth: 8, inChannels: 64, outChannels: 64, kernel: 3, padding: 1, groups: 2),
            ]
            for g in direct { #expect(Convolution.winogradTile(g, parallel: parallel) == 0, "\(isa) \(g)") }
        }
    }

    /// Narrow layers (pixels in the lanes) keep the direct path where it beats Winograd: on AVX2
    /// up to 24 inputs (six 19 -> 19 convs on 32 x 32 took 0.64-0.84x the time), beyond them
    /// Winograd (64 -> 21 took 1.6x as narrow); on AVX-512 up to 28 outputs and 64 inputs.
    @Test("narrow layers take Winograd only where it is the faster path")
    func narrowAgainstWinograd() {
        let narrow = ConvGeometry(batch: 1, inHeight: 32, inWidth: 32, inChannels: 19, outChannels: 19, kernel: 3, padding: 1)
        let wide = ConvGeometry(batch: 1, inHeight: 16, inWidth: 16, inChannels: 64, outChannels: 21, kernel: 3, padding: 1)
        let wider = ConvGeometry(batch: 1, inHeight: 16, inWidth: 16, inChannels: 72, outChannels: 21, kernel: 3, padding: 1)
        for isa in KernelISA.supported {
            let parallel = Parallel(threads: 1, isa: isa)
            #expect(Convolution.winogradTile(narrow, parallel: parallel) == (isa == .scalar ? 4 : 0), "\(isa)")
            #expect(Convolution.winogradTile(wide, parallel: parallel) == (isa == .avx512 ? 0 : 4), "\(isa)")
            #expect(Convolution.winogradTile(wider, parallel: parallel) == 4, "\(isa)")
        }
    }

    @Test("forward, with a folded scale, bias and activation, equals the reference", arguments: geometries)
    func forward(g: ConvGeometry) {
        let x = Numerics.random(g.inputCount, seed: 51).map(Float.init)
        let w = Numerics.random(g.weightCount, seed: 52, scale: 0.5).map(Float.init)
        let bias = Numerics.random(g.outChannels, seed: 53).map(Float.init)
        let scale = Numerics.random(g.outChannels, seed: 54).map { Float(1 + $0 * 0.5) }
        var plain = [Float](repeating: 0, count: g.outputCount)
        ConvolutionReference.forward(g, x: x, weight: w, bias: nil, y: &plain)
        let atol = 1e-5 * Double(9 * g.inChannels + 1)
        for activation in [FusedNormKernel.Activation.none, .relu] {
            let expected = plain.indices.map { i -> Float in
                let v = plain[i] * scale[i % g.outChannels] + bias[i % g.outChannels]
                return activation == .relu ? max(v, 0) : v
            }
            for isa in KernelISA.supported {
                for threads in [1, 2, 3] {
                    var y = [Float](repeating: .nan, count: g.outputCount)
                    Convolution.forward(g, x: x, weight: w, bias: bias, y: &y, outputScale: scale, activation: activation,
                                        parallel: Parallel(threads: threads, isa: isa), workspace: Workspace())
                    let m = Numerics.firstMismatch(y, expected, rtol: 1e-4, atol: atol)
                    #expect(m == nil, "\(isa) threads \(threads) \(activation) \(g): \(String(describing: m))")
                }
            }
        }
    }

    @Test("the gradient of the input equals the reference", arguments: geometries)
    func backwardInput(g: ConvGeometry) {
        let dy = Numerics.random(g.outputCount, seed: 61).map(Float.init)
        let w = Numerics.random(g.weightCount, seed: 62, scale: 0.5).map(Float.init)
        var expected = [Float](repeating: 0, count: g.inputCount)
        ConvolutionReference.backwardInput(g, dOutput: dy, weight: w, dInput: &expected)
        for isa in KernelISA.supported {
            var dx = [Float](repeating: .nan, count: g.inputCount)
            Convolution.backwardInput(g, dOutput: dy, weight: w, dInput: &dx, parallel: Parallel(threads: 3, isa: isa),
                                      workspace: Workspace())
            let m = Numerics.firstMismatch(dx, expected, rtol: 1e-4, atol: 1e-5 * Double(9 * g.outChannels + 1))
            #expect(m == nil, "\(isa) \(g): \(String(describing: m))")
        }
    }
}
