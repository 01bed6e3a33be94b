import Foundation
import DNALKernels
import DNALTestSupport
import Testing

/// Fast convolution kernels against the scalar reference on every ISA path, across sizes below,
/// at, between and above the SIMD tiles (16-lane channel blocks, 12/24-pixel row tiles).
@Suite("Convolution kernels", .serialized)
struct ConvolutionTests {
    // (batch, H, W, Ci, Co, kernel, stride, padding, groups)
    static let geometries: [ConvGeometry] = [
        (1, 1, 1, 1, 1, 1, 1, 0, 1), (2, 5, 5, 3, 16, 3, 1, 1, 1), (1, 7, 9, 17, 15, 3, 1, 1, 1),
        (2, 6, 6, 16, 17, 3, 2, 1, 1), (1, 13, 13, 5, 33, 5, 1, 2, 1), (1, 9, 30, 4, 32, 3, 1, 1, 1),
        (1, 4, 27, 3, 31, 1, 1, 0, 1), (2, 8, 8, 24, 48, 1, 1, 0, 1), (1, 9, 9, 8, 70, 1, 2, 0, 1),
        (1, 7, 7, 3, 8, 7, 2, 3, 1), (1, 6, 6, 2, 3, 3, 1, 0, 1), (1, 5, 5, 4, 6, 1, 1, 1, 1),
        (2, 6, 7, 8, 12, 3, 1, 1, 2), (1, 8, 8, 12, 6, 3, 2, 1, 3), (2, 7, 7, 16, 16, 3, 1, 1, 16),
        (1, 9, 9, 35, 35, 3, 2, 1, 35), (1, 8, 8, 17, 17, 5, 1, 2, 17), (1, 5, 5, 3, 3, 3, 2, 0, 3),
        (3, 1, 1, 40, 10, 1, 1, 0, 1), (5, 1, 1, 7, 33, 1, 1, 0, 1), (1, 3, 26, 2, 16, 3, 1, 1, 1),
        // narrow layers (at most 8 outputs, stride 1, rows of 16+ pixels: the pixel-vectorised path),
        // across its 16- and 32-pixel chunks, kernels 1, 3, 5, no padding, and groups
        (2, 5, 16, 3, 8, 3, 1, 1, 1), (1, 4, 17, 5, 5, 3, 1, 1, 1), (1, 3, 32, 8, 8, 3, 1, 1, 1),
        (1, 3, 33, 4, 1, 3, 1, 1, 1), (2, 4, 40, 9, 7, 5, 1, 2, 1), (1, 3, 20, 6, 3, 1, 1, 0, 1),
        (1, 6, 18, 16, 4, 3, 1, 0, 1), (1, 4, 24, 10, 8, 3, 1, 1, 2), (2, 6, 47, 3, 6, 3, 1, 1, 1),
        (1, 4, 16, 6, 10, 3, 1, 1, 1), (2, 3, 20, 5, 12, 3, 1, 1, 1), (1, 3, 18, 4, 9, 1, 1, 0, 1), (1, 3, 33, 7, 11, 3, 1, 1, 1),
        // 9 to 15 outputs (two pixel vectors up to 13, one beyond; a row's last 16 pixels on one),
        // inputs in two groups of 8 channels
        (2, 4, 32, 11, 11, 3, 1, 1, 1), (1, 3, 40, 16, 13, 3, 1, 1, 1), (1, 3, 48, 9, 14, 3, 1, 1, 1),
        (1, 4, 17, 12, 15, 3, 1, 1, 1), (1, 3, 35, 3, 9, 5, 1, 2, 1),
        // 17 to 28 outputs (one pixel vector, up to four groups of 8 stored), inputs beyond 16
        (1, 3, 16, 22, 22, 3, 1, 1, 1), (2, 3, 20, 6, 28, 3, 1, 1, 1), (1, 4, 33, 35, 17, 3, 1, 1, 1),
        (1, 3, 16, 70, 6, 3, 1, 1, 1),  // 70 inputs: nine groups of 8 in the row copy, the last of 6
        // rows of exactly 16 pixels: tiles of two rows (an odd last row alone), outputs in passes
        // of up to 13 (16 = 8 + 8, 22 = 11 + 11), 16 outputs only here, no padding, 5x5
        (1, 5, 16, 16, 16, 3, 1, 1, 1), (2, 4, 16, 10, 10, 3, 1, 1, 1), (1, 6, 16, 40, 22, 3, 1, 1, 1),
        (1, 3, 16, 7, 5, 3, 1, 1, 1), (1, 4, 16, 24, 16, 5, 1, 2, 1), (1, 4, 18, 3, 16, 3, 1, 0, 1),
        // rows of exactly 32 pixels with up to 8 outputs: tiles of two rows of two vectors, outputs
        // in passes of up to 6 (8 = 4 + 4, 7 = 4 + 3)
        (2, 4, 32, 5, 5, 3, 1, 1, 1), (1, 5, 32, 3, 7, 5, 1, 2, 1), (1, 4, 34, 9, 8, 3, 1, 0, 1),
        // whole 16-pixel tiles of 1-7 outputs stored packed (rows of exactly C floats), and
        // 2-channel inputs whose gradient is stored that way too
        (1, 4, 32, 4, 2, 3, 1, 1, 1), (2, 3, 16, 2, 6, 3, 1, 1, 1),
        // column Winograd (AVX-512, narrow 3x3 layers on 4k rows of 16m pixels, NHWC copied planar):
        // two bands per pass (8 rows), one band (4 and 12 rows), 16, 32 and 48 pixels (a last half
        // tile), outputs in quad passes of up to 6 and beyond 13; a single image, whose rows 2
        // workers share in pieces that are parts of an image (the direct path)
        (3, 8, 16, 6, 7, 3, 1, 1, 1), (3, 4, 32, 8, 8, 3, 1, 1, 1), (2, 12, 48, 5, 13, 3, 1, 1, 1),
        (3, 8, 32, 11, 22, 3, 1, 1, 1), (1, 8, 16, 6, 7, 3, 1, 1, 1),
        // ... and AVX2's bands of 4 rows anywhere in a row range: 7 rows (a band, then 3 direct),
        // rows of 20 (a last vector of 4 pixels), 19 outputs stored as 8 + 8 + 3, the fewest
        // channels it takes (4 -> 9)
        (2, 7, 20, 19, 19, 3, 1, 1, 1), (1, 9, 16, 4, 9, 3, 1, 1, 1),
        // weight gradients with a kernel row's taps (kw x inputs) in the lanes: 15 of 16 (three
        // rows together, 9 outputs as 8 + 1), 30 (two vectors, outputs in fours), 57 and 63 (four
        // vectors, rows one by one), 66 (the output-channel tile again), stride 2, a 5x5
        (2, 5, 9, 5, 9, 3, 1, 1, 1), (1, 6, 10, 10, 10, 3, 1, 1, 1), (1, 5, 8, 19, 19, 3, 1, 1, 1),
        (1, 4, 9, 21, 13, 3, 1, 1, 1), (1, 4, 8, 22, 7, 3, 1, 1, 1), (2, 8, 16, 5, 10, 3, 2, 1, 1),
        (1, 7, 11, 3, 5, 5, 1, 2, 1),
        // ... through Winograd F(3, 4) down the columns where a row's taps take 2+ vectors: three
        // groups of 4 rows and a last row direct per block, a grouped conv (its output gradient
        // 12 channels apart, packed before the transform), no padding with four vectors of taps
        (2, 13, 10, 8, 8, 3, 1, 1, 1), (1, 9, 12, 16, 12, 3, 1, 1, 2), (1, 10, 8, 20, 6, 3, 1, 0, 1),
        // ... and where the taps' lanes tie with the output channels' (16 inputs: 48 taps in 3
        // vectors against 16 or 32 outputs), two groups of 4 rows and one, stride 2 direct
        (2, 8, 12, 16, 16, 3, 1, 1, 1), (1, 9, 8, 16, 32, 3, 1, 1, 1), (2, 6, 9, 16, 16, 3, 2, 1, 1),
        // the blocked inner product: taps in blocks of two (100 inputs), each tap's inputs split in
        // two (300), a 1x1's in four (800), weights over 1 MB on rows of 9 (im2col columns, not the
        // row band), and a 1x1 over 1,600 pixels in chunks of 384 with a shorter last one (its
        // weight gradient in blocks of 273 pixels, whose x and dy fill 256 KB, and a shorter last)
        (1, 6, 6, 100, 20, 3, 1, 1, 1), (1, 6, 6, 300, 20, 3, 1, 1, 1), (1, 3, 3, 800, 20, 1, 1, 0, 1),
        (1, 5, 9, 1000, 18, 3, 1, 1, 1),
        // the output-channel tile reading x in place, each tap over the pixels whose input lies in
        // the map: blocks of 16 rows starting inside an image (40 rows of 8), stride 2 whose last
        // column's right tap falls off an odd width, a 5x5 at stride 2 padded by 2
        (1, 40, 8, 24, 40, 3, 1, 1, 1), (2, 17, 19, 40, 24, 3, 2, 1, 1), (1, 12, 21, 36, 20, 5, 2, 2, 1),
        (1, 40, 40, 40, 200, 1, 1, 0, 1),
        // maps too small for a row tile, by tap class (the taps in range of each pixel): 2x2 corners,
        // a 4x4 map whose interior class spans 120 pixels (blocks of 96), K in two passes (300),
        // a 1x1 map (the centre tap only), stride 2, a 5x5 kernel whose padding reaches two deep
        (3, 2, 2, 40, 33, 3, 1, 1, 1), (30, 4, 4, 8, 20, 3, 1, 1, 1), (2, 4, 4, 300, 20, 3, 1, 1, 1),
        (2, 1, 1, 16, 16, 3, 1, 1, 1), (2, 4, 4, 16, 16, 3, 2, 1, 1), (1, 3, 5, 8, 16, 5, 1, 2, 1),
        // weight rows 512 floats apart or more, read as column panels (on AVX-512 the last of
        // 32 lanes half zeros): a 1x1 over 36 pixels (a last channel block of 8), the 2x2 corners
        // of 30 images (4 taps in one panel), 300 inputs in two K blocks per tap on a 4x4 map,
        // and 520 inputs, whose input gradient reads panels of the transposed weights
        (1, 3, 12, 20, 520, 1, 1, 0, 1), (30, 2, 2, 40, 513, 3, 1, 1, 1), (1, 4, 4, 300, 520, 3, 1, 1, 1),
        (2, 3, 3, 520, 24, 3, 1, 1, 1),
        // depthwise rows long enough for interior runs of 8 and 4 pixels, stride 1 and 2, 3x3 and 5x5
        (1, 5, 20, 20, 20, 3, 1, 1, 20), (2, 7, 23, 18, 18, 3, 2, 1, 18), (1, 6, 19, 7, 7, 5, 1, 2, 7),
        (1, 4, 14, 33, 33, 3, 1, 0, 33),
        // stride-1 depthwise rows in tiles of 8 with the padding loaded as zeros at either end:
        // 32 = edge, two interior, edge; 16 = two edge tiles; a 7x7 on 13 (8 + 5); no padding on
        // 11 (9 outputs: 8 + 1); a 5x5 padded by 1 on 17 (15 outputs: 8 + 7)
        (1, 3, 32, 21, 21, 3, 1, 1, 21), (2, 3, 16, 17, 17, 3, 1, 1, 17), (1, 13, 13, 9, 9, 7, 1, 3, 9),
        (1, 3, 11, 16, 16, 3, 1, 0, 16), (1, 5, 17, 5, 5, 5, 1, 1, 5),
        // 3x3 rows of 8, 16 and 32 pixels with whole vectors of channels (48; 20 = a vector and
        // a tail): tiles of 8 whose store and activation are fixed per instance
        (2, 8, 8, 48, 48, 3, 1, 1, 48), (1, 5, 16, 20, 20, 3, 1, 1, 20), (1, 4, 32, 48, 48, 3, 1, 1, 48),
        // ... a one-row map (the middle kernel row only); stride 2 on even rows (dwconv3.inc):
        // 32 -> 16 as two tiles of 8, 16 -> 8 as one, 8 -> 4 and 4 -> 2 whole, an odd height
        // whose last window reaches the bottom padding, a channel tail (the general row)
        (2, 1, 16, 32, 32, 3, 1, 1, 32), (1, 6, 32, 32, 32, 3, 2, 1, 32), (2, 4, 16, 48, 48, 3, 2, 1, 48),
        (2, 8, 8, 16, 16, 3, 2, 1, 16), (3, 4, 4, 32, 32, 3, 2, 1, 32), (1, 7, 16, 32, 32, 3, 2, 1, 32),
        (1, 6, 16, 20, 20, 3, 2, 1, 20),
        // depthwise rows of at most 8 pixels as one tile with the padding loaded as zeros: 2x2,
        // 1x1 and 4x4 maps (a 5x5 kernel whose padding is wider than the interior), a channel tail;
        // a 3x3 on a 4x4 map with whole vectors (dwconv3.inc's row of 4, padded at both ends)
        (3, 2, 2, 20, 20, 3, 1, 1, 20), (2, 1, 1, 16, 16, 3, 1, 1, 16), (2, 4, 4, 19, 19, 5, 1, 2, 19),
        (2, 4, 4, 48, 48, 3, 1, 1, 48),
        // depthwise weight gradients: a 7x7 kernel's 49 tap sums in registers, 260 channels (16
        // blocks and a tail) in registers too, and a 1x1 kernel's plain walk
        (2, 9, 9, 20, 20, 7, 1, 3, 20), (2, 4, 5, 260, 260, 3, 1, 1, 260), (2, 4, 5, 20, 20, 1, 1, 0, 20),
    ].map { ConvGeometry(batch: $0.0, inHeight: $0.1, inWidth: $0.2, inChannels: $0.3, outChannels: $0.4,
                         kernel: $0.5, stride: $0.6, padding: $0.7, groups: $0.8) }

    struct Tensors {
        var x: [Float], w: [Float], b: [Float], dy: [Float]
        init(_ g: ConvGeometry, seed: UInt64) {
            x = Numerics.random(g.inputCount, seed: seed).map(Float.init)
            w = Numerics.random(g.weightCount, seed: seed + 1, scale: 0.5).map(Float.init)
            b = Numerics.random(g.outChannels, seed: seed + 2).map(Float.init)
            dy = Numerics.random(g.outputCount, seed: seed + 3).map(Float.init)
        }
    }

    func tolerance(_ g: ConvGeometry) -> Double { 1e-5 * Double(g.kernel * g.kernel * g.inPerGroup + 1) }

    @Test("forward equals the reference on every ISA", arguments: geometries)
    func forward(g: ConvGeometry) throws {
        let t = Tensors(g, seed: 11)
        var expected = [Float](repeating: 0, count: g.outputCount)
        ConvolutionReference.forward(g, x: t.x, weight: t.w, bias: t.b, y: &expected)
        for isa in KernelISA.supported {
            for threads in [1, 2] {
                var y = [Float](repeating: .nan, count: g.outputCount)
                Convolution.forward(g, x: t.x, weight: t.w, bias: t.b, y: &y, parallel: Parallel(threads: threads, isa: isa), workspace: .poisoned())
                let m = Numerics.firstMismatch(y, expected, rtol: 1e-4, atol: tolerance(g))
                #expect(m == nil, "\(isa) threads \(threads) \(g): \(String(describing: m))")
            }
        }
    }

    /// The column Winograd geometries above take it on AVX-512, and on AVX2 where its narrow path
    /// runs them and they have 8 outputs or more (outputs leaving a vector partly empty), so
    /// their comparisons cannot fall back to the direct narrow path unnoticed.
    @Test func narrowLayersOfWholeBandsRunAsColumnWinograd() {
        let column = Self.geometries.filter { $0.kernel == 3 && $0.stride == 1 && $0.inHeight % 4 == 0 && $0.inWidth % 16 == 0 &&
            $0.groups == 1 && $0.outChannels <= 22 && $0.inChannels >= 4 && $0.outChannels >= 4 && $0.inChannels <= 16 }
        #expect(column.count >= 4)
        func avx2Takes(_ g: ConvGeometry) -> Bool { g.outChannels % 8 != 0 && g.outChannels >= 8 }
        #expect(column.filter(avx2Takes).count >= 2)
        for isa in KernelISA.supported {
            for g in column {
                let expected = isa == .avx512 || (isa == .avx2 && avx2Takes(g))
                #expect(Convolution.columnWinogradApplies(g, parallel: Parallel(threads: 1, isa: isa)) == expected, "\(isa) \(g)")
            }
        }
        // bands of 4 rows need no height of a multiple of 4 on AVX2; 5 outputs stay direct there
        let seven = ConvGeometry(batch: 2, inHeight: 7, inWidth: 20, inChannels: 19, outChannels: 19, kernel: 3, padding: 1)
        let five = ConvGeometry(batch: 2, inHeight: 8, inWidth: 32, inChannels: 5, outChannels: 5, kernel: 3, padding: 1)
        let avx2 = KernelISA.supported.contains(.avx2)
        #expect(Convolution.columnWinogradApplies(seven, parallel: Parallel(threads: 1, isa: avx2 ? .avx2 : .scalar)) == avx2)
        #expect(!Convolution.columnWinogradApplies(five, parallel: Parallel(threads: 1, isa: avx2 ? .avx2 : .scalar)))
    }

    /// The layers above with weight rows 512 floats apart or more read them as column panels on
    /// the vector paths, so the comparisons above run the panel reads; the scalar path reads rows.
    @Test func wideLayersReadWeightPanels() {
        let wide = ConvGeometry(batch: 1, inHeight: 4, inWidth: 4, inChannels: 300, outChannels: 520, kernel: 3,
                                stride: 1, padding: 1, groups: 1)
        let narrow = ConvGeometry(batch: 1, inHeight: 4, inWidth: 4, inChannels: 300, outChannels: 496, kernel: 3,
                                  stride: 1, padding: 1, groups: 1)
        for isa in KernelISA.supported {
            let parallel = Parallel(threads: 1, isa: isa)
            #expect(Convolution.readsWeightPanels(wide, parallel: parallel) == (isa != .scalar), "\(isa)")
            #expect(!Convolution.readsWeightPanels(narrow, parallel: parallel), "\(isa)")
        }
    }

    @Test("backward-input equals the reference on every ISA", arguments: geometries)
    func backwardInput(g: ConvGeometry) throws {
        let t = Tensors(g, seed: 21)
        var expected = [Float](repeating: 0, count: g.inputCount)
        ConvolutionReference.backwardInput(g, dOutput: t.dy, weight: t.w, dInput: &expected)
        for isa in KernelISA.supported {
            var dx = [Float](repeating: .nan, count: g.inputCount)
            Convolution.backwardInput(g, dOutput: t.dy, weight: t.w, dInput: &dx, parallel: Parallel(threads: 2, isa: isa), workspace: .poisoned())
            let m = Numerics.firstMismatch(dx, expected, rtol: 1e-4, atol: 1e-5 * Double(g.kernel * g.kernel * g.outPerGroup + 1))
            #expect(m == nil, "\(isa) \(g): \(String(describing: m))")
        }
    }

    @Test("backward-weight accumulates what the reference does on every ISA", arguments: geometries)
    func backwardWeight(g: ConvGeometry) throws {
        let t = Tensors(g, seed: 31)
        let start = Numerics.random(g.weightCount, seed: 5).map(Float.init)
        let startBias = Numerics.random(g.outChannels, seed: 6).map(Float.init)
        var expected = start, expectedBias = startBias
        ConvolutionReference.backwardWeight(g, x: t.x, dOutput: t.dy, dWeight: &expected, dBias: &expectedBias)
        let atol = 1e-5 * Double(g.batch * g.outHeight * g.outWidth + 1)
        for isa in KernelISA.supported {
            for threads in [1, 2] {
                var dw = start, db = startBias
                Convolution.backwardWeight(g, x: t.x, dOutput: t.dy, dWeight: &dw, dBias: &db,
                                           parallel: Parallel(threads: threads, isa: isa), workspace: .poisoned())
                let m = Numerics.firstMismatch(dw, expected, rtol: 1e-4, atol: atol)
                #expect(m == nil, "\(isa) threads \(threads) \(g): \(String(describing: m))")
                #expect(Numerics.firstMismatch(db, expectedBias, rtol: 1e-4, atol: atol) == nil, "bias \(isa) \(g)")
            }
        }
    }

    @Test func sameThreadCountGivesBitIdenticalGradients() {
        let g = ConvGeometry(batch: 4, inHeight: 9, inWidth: 9, inChannels: 16, outChannels: 32, kernel: 3, padding: 1)
        let t = Tensors(g, seed: 41)
        var a = [Float](repeating: 0, count: g.weightCount), b = a
        Convolution.backwardWeight(g, x: t.x, dOutput: t.dy, dWeight: &a, dBias: nil, parallel: Parallel(threads: 2), workspace: Workspace())
        Convolution.backwardWeight(g, x: t.x, dOutput: t.dy, dWeight: &b, dBias: nil, parallel: Parallel(threads: 2), workspace: Workspace())
        #expect(a == b)
    }
}

extension ConvGeometry: CustomTestStringConvertible {
    public var testDescription: String {
        "N\(batch) \(inHeight)x\(inWidth)x\(inChannels)->\(outChannels) k\(kernel) s\(stride) p\(padding) g\(groups)"
    }
}

@Suite("Convolution with folded scale and activation", .serialized)
struct FoldedConvolutionTests {
    @Test("scale, bias and activation fused into the store", arguments: [
        ConvGeometry(batch: 2, inHeight: 6, inWidth: 7, inChannels: 5, outChannels: 19, kernel: 3, padding: 1),
        ConvGeometry(batch: 1, inHeight: 4, inWidth: 4, inChannels: 33, outChannels: 40, kernel: 3, padding: 1),
        ConvGeometry(batch: 2, inHeight: 5, inWidth: 5, inChannels: 18, outChannels: 18, kernel: 3, stride: 2, padding: 1, groups: 18),
        // depthwise 3x3 rows of 16: the tiles whose activation is fixed per instance
        ConvGeometry(batch: 2, inHeight: 4, inWidth: 16, inChannels: 32, outChannels: 32, kernel: 3, padding: 1, groups: 32),
        ConvGeometry(batch: 2, inHeight: 5, inWidth: 16, inChannels: 32, outChannels: 32, kernel: 3, stride: 2, padding: 1, groups: 32),
        ConvGeometry(batch: 2, inHeight: 4, inWidth: 4, inChannels: 32, outChannels: 32, kernel: 3, padding: 1, groups: 32),
        ConvGeometry(batch: 3, inHeight: 6, inWidth: 6, inChannels: 8, outChannels: 24, kernel: 1),
        ConvGeometry(batch: 2, inHeight: 4, inWidth: 20, inChannels: 6, outChannels: 7, kernel: 3, padding: 1),  // narrow paths
        ConvGeometry(batch: 2, inHeight: 4, inWidth: 20, inChannels: 6, outChannels: 11, kernel: 3, padding: 1),
    ])
    func folded(g: ConvGeometry) {
        let x = Numerics.random(g.inputCount, seed: 1).map(Float.init), w = Numerics.random(g.weightCount, seed: 2).map(Float.init)
        let scale = Numerics.random(g.outChannels, seed: 3).map { Float(0.5 + $0) }, bias = Numerics.random(g.outChannels, seed: 4).map(Float.init)
        var plain = [Float](repeating: 0, count: g.outputCount)
        ConvolutionReference.forward(g, x: x, weight: w, bias: nil, y: &plain)
        for (activation, relu6) in [(FusedNormKernel.Activation.none, false), (.relu, false), (.relu6, true)] {
            let expected = plain.indices.map { i -> Float in
                let v = plain[i] * scale[i % g.outChannels] * 3 + bias[i % g.outChannels]
                return activation == .none ? v : (relu6 ? min(max(v, 0), 6) : max(v, 0))
            }
            for isa in KernelISA.supported {
                var y = [Float](repeating: .nan, count: g.outputCount)
                let tripled = scale.map { $0 * 3 }
                Convolution.forward(g, x: x, weight: w, bias: bias, y: &y, outputScale: tripled, activation: activation,
                                    parallel: Parallel(threads: 2, isa: isa), workspace: Workspace())
                #expect(Numerics.firstMismatch(y, expected, rtol: 1e-4, atol: 1e-4) == nil, "\(isa) \(activation) \(g)")
            }
            }
    }
}

@Suite("Kernel paths")
struct KernelPathTests {
    @Test func aComputationsPathIsScopedToItsWorkers() {
        let seen = UnsafeMutablePointer<Int>.allocate(capacity: 4)
        defer { seen.deallocate() }
        for isa in KernelISA.supported {
            Parallel(threads: 2, isa: isa).forEachChunk(count: 4) { t, _ in seen[t] = KernelISA.allCases.firstIndex(of: KernelISA.current)! }
            #expect(seen[0] == KernelISA.allCases.firstIndex(of: isa)! && seen[1] == seen[0])
        }
        #expect(KernelISA.current == KernelISA.best || ProcessInfoShim.isaOverridden)  // the process-wide path is untouched
    }
}

enum ProcessInfoShim {
    static var isaOverridden: Bool { ProcessInfo.processInfo.environment["DNALC_ISA"] != nil }
}
