import DNALKernels
import DNALTestSupport
import Testing

/// `Convolution.forwardFused` (inference: a gathered input and/or a residual sum in place on the
/// trunk) against its definition: gather, reference convolution, scatter-add into the trunk,
/// activation over every trunk channel.
@Suite("Fused convolution")
struct FusedConvolutionTests {
    /// (height, width, trunk channels read, gathered channels, outputs, trunk channels written,
    /// scattered: outputs placed at spread channels, else the trunk is the outputs in order).
    /// Narrow (<= 8 outputs, the dense 8-channel store among them, and wider) and general paths.
    static let cases: [(Int, Int, Int, [Int]?, Int, Int, Bool)] = [
        (3, 32, 16, [0, 2, 3, 5, 8, 9, 12, 15], 8, 8, false),   // narrow, dense store, accumulate into the trunk
        (3, 32, 16, [1, 4, 6, 7, 11], 8, 16, true),              // narrow, scatter into a wider trunk
        (4, 17, 8, nil, 5, 5, false),                            // narrow, 5 outputs in order
        // narrow layers between trunks of other widths: two channel groups, partial pixel tiles
        (3, 32, 24, [1, 5, 9, 16, 17, 20, 23, 2, 7, 11, 13], 11, 24, true),  // gather from 24, 11 outputs into 24
        (4, 20, 12, [0, 3, 4, 6, 7, 11], 6, 12, true),           // trunks narrower than a vector, a 4-pixel tile
        (3, 17, 32, Array(stride(from: 0, to: 32, by: 3)), 20, 32, true),  // 20 outputs in 3 groups, 32-channel trunks
        (3, 16, 8, nil, 7, 16, true),                            // scatter only
        (3, 32, 40, [0, 17, 33, 39, 5, 21, 30, 8], 8, 40, true), // 40-channel trunks
        (5, 16, 32, Array(stride(from: 0, to: 32, by: 2)), 16, 32, true),  // general path, gather and scatter
        (4, 8, 64, Array(stride(from: 1, to: 64, by: 3)), 32, 32, false),  // general path, short rows
        // Winograd (WinogradTests): the sum accumulated into the trunk in the output transform,
        // and a gathered input with the outputs scattered from a tile; odd maps, channel tails
        (5, 10, 32, nil, 32, 32, false),
        (3, 9, 48, Array(stride(from: 47, to: 0, by: -1).prefix(40)), 30, 48, true),
        // maps too small for a row tile: im2col columns of the taps in range, class by class,
        // their outputs copied into the trunk (accumulated) or scattered from a tile
        (2, 3, 40, nil, 40, 40, false),
        (3, 2, 48, Array(stride(from: 0, to: 48, by: 2)), 30, 48, true),
    ]

    @Test("fused gather and residual sum equal gather, conv, scatter-add and activation", arguments: cases.indices)
    func fused(k: Int) throws {
        let (h, w, trunkIn, gather, outs, trunkOut, scattered) = Self.cases[k]
        let cin = gather?.count ?? trunkIn
        let g = ConvGeometry(batch: 3, inHeight: h, inWidth: w, inChannels: cin, outChannels: outs, kernel: 3, padding: 1)
        let pixels = h * w
        let source = Numerics.random(3 * pixels * trunkIn, seed: 41).map(Float.init)
        let weight = Numerics.random(g.weightCount, seed: 42, scale: 0.5).map(Float.init)
        let bias = Numerics.random(outs, seed: 43).map(Float.init)
        let scale = Numerics.random(outs, seed: 44).map { Float(1 + $0 * 0.5) }
        let trunk = Numerics.random(3 * pixels * trunkOut, seed: 45).map { Float($0 * 2) }
        // in descending order: the maps need not preserve channel order
        let scatter: [Int]? = scattered ? Array((0..<trunkOut).filter { $0 % 3 != 2 }.prefix(outs).reversed()) : nil
        // the definition, step by step
        let x = gather.map { PointwiseReference.gather(source, channels: trunkIn, index: $0) } ?? source
        let scaledWeight = weight.indices.map { weight[$0] * scale[$0 % outs] }
        var branch = [Float](repeating: 0, count: g.outputCount)
        ConvolutionReference.forward(g, x: x, weight: scaledWeight, bias: bias, y: &branch)
        let summed = PointwiseReference.scatterAdd(branch, into: trunk, channels: trunkOut, index: scatter ?? Array(0..<outs))
        for act in [FusedNormKernel.Activation.none, .relu] {
            let expected = summed.map { act == .relu ? max($0, 0) : $0 }
            for isa in KernelISA.supported {
                for threads in [1, 2] {
                    var y = trunk
                    let fusion = Convolution.Fusion(gather: gather?.map(Int32.init), gatherWidth: trunkIn, residual: true,
                                                    scatter: scatter?.map(Int32.init), residualWidth: trunkOut,
                                                    residualActivation: act)
                    Convolution.forwardFused(g, fusion: fusion, x: source, weight: weight, bias: bias, y: &y, outputScale: scale,
                                             parallel: Parallel(threads: threads, isa: isa), workspace: Workspace())
                    let m = Numerics.firstMismatch(y, expected, rtol: 1e-4, atol: 1e-4)
                    #expect(m == nil, "case \(k) \(isa) threads \(threads) \(act): \(String(describing: m))")
                }
            }
        }
        // without the residual: the gathered conv alone, written to its own tensor
        if gather != nil {
            var y = [Float](repeating: .nan, count: g.outputCount)
            Convolution.forwardFused(g, fusion: Convolution.Fusion(gather: gather?.map(Int32.init), gatherWidth: trunkIn), x: source,
                                     weight: weight, bias: bias, y: &y, outputScale: scale, parallel: Parallel(threads: 2),
                                     workspace: Workspace())
            #expect(Numerics.firstMismatch(y, branch, rtol: 1e-4, atol: 1e-4) == nil, "case \(k) gather only")
        }
    }
}

/// `Convolution.forwardPair`: two convs image by image (the first gathering from the trunk, the
/// second adding into it) against the reference chain. Where both are narrow (AVX-512), their
/// intermediate is planar: 8 -> 11 and 11 -> 5 (channel groups, 20-pixel rows with a partial
/// tile), 16 -> 16 on 16-pixel rows (tiles of two rows), 7x7 kernels (wider than the planar
/// border: the second conv copies its rows); 16 middle channels on 20-pixel rows and a strided
/// first conv are not narrow. On 8 or 12 rows of 16 or 32 pixels the second conv reads the
/// planar intermediate as column Winograd (two bands or one per pass) and stores NHWC. Small
/// maps with 32 channels run a group of images per call.
@Suite("Fused convolution pairs")
struct FusedConvolutionPairTests {
    @Test("a block's two convs image by image equal gather, conv, conv, scatter-add",
          arguments: [(8, 11, false, 6, 20, 3), (11, 5, false, 6, 20, 3), (16, 6, true, 6, 20, 3), (16, 6, false, 6, 20, 3),
                      (16, 16, false, 6, 16, 3), (8, 6, false, 6, 17, 7), (8, 6, false, 8, 32, 3), (10, 10, false, 8, 16, 3),
                      (5, 13, false, 12, 16, 3)])
    func pair(mid: Int, outs: Int, stride2: Bool, h: Int, w: Int, kernel: Int) throws {
        checkPair(batch: 3, gather: [0, 2, 3, 7, 8, 11, 13], trunk: outs > 12 ? 24 : 16, mid: mid, outs: outs,
                  stride2: stride2, h: h, w: w, kernel: kernel)
    }

    /// 8x8 and 12x12 maps with 32 channels each side run 2-D Winograd a group of images at a time
    /// (8 and 4 of them: 32 tiles of 4x4 or more): 21 images over two threads leave partial groups.
    @Test("pairs on small maps, a group of images at a time, equal the reference", arguments: [8, 12])
    func groupedPair(size: Int) throws {
        checkPair(batch: 21, gather: Array((0..<44).filter { $0 % 5 != 3 }.prefix(32)), trunk: 44, mid: 32, outs: 32, stride2: false,
                  h: size, w: size, kernel: 3)
    }

    private func checkPair(batch: Int, gather: [Int], trunk: Int, mid: Int, outs: Int, stride2: Bool, h: Int, w: Int,
                           kernel: Int) {
        let g1 = ConvGeometry(batch: batch, inHeight: h, inWidth: w, inChannels: gather.count, outChannels: mid, kernel: kernel,
                              stride: stride2 ? 2 : 1, padding: kernel / 2)
        let g2 = ConvGeometry(batch: batch, inHeight: g1.outHeight, inWidth: g1.outWidth, inChannels: mid, outChannels: outs,
                              kernel: kernel, padding: kernel / 2)
        let source = Numerics.random(g1.batch * h * w * trunk, seed: 51).map(Float.init)
        let w1 = Numerics.random(g1.weightCount, seed: 52, scale: 0.5).map(Float.init)
        let w2 = Numerics.random(g2.weightCount, seed: 53, scale: 0.5).map(Float.init)
        let b1 = Numerics.random(mid, seed: 54).map(Float.init), b2 = Numerics.random(outs, seed: 55).map(Float.init)
        let outPixels = g2.outHeight * g2.outWidth
        let trunkOut = Numerics.random(batch * outPixels * trunk, seed: 56).map(Float.init)
        let scatter = Array((0..<trunk).filter { $0 % 4 != 2 }.prefix(outs))
        var a = [Float](repeating: 0, count: g1.outputCount), b = [Float](repeating: 0, count: g2.outputCount)
        ConvolutionReference.forward(g1, x: PointwiseReference.gather(source, channels: trunk, index: gather), weight: w1, bias: b1, y: &a)
        let relu = a.map { max($0, 0) }
        ConvolutionReference.forward(g2, x: relu, weight: w2, bias: b2, y: &b)
        let expected = PointwiseReference.scatterAdd(b, into: trunkOut, channels: trunk, index: scatter).map { max($0, 0) }
        for isa in KernelISA.supported {
            var y = trunkOut
            source.withUnsafeBufferPointer { x in
                w1.withUnsafeBufferPointer { pw1 in
                    w2.withUnsafeBufferPointer { pw2 in
                        b1.withUnsafeBufferPointer { pb1 in
                            b2.withUnsafeBufferPointer { pb2 in
                                let first = Convolution.FusedCall(g1, fusion: Convolution.Fusion(gather: gather.map(Int32.init), gatherWidth: trunk),
                                                                  weight: pw1.baseAddress!, bias: pb1.baseAddress, activation: .relu)
                                let second = Convolution.FusedCall(g2, fusion: Convolution.Fusion(residual: true, scatter: scatter.map(Int32.init),
                                                                                                  residualWidth: trunk, residualActivation: .relu),
                                                                   weight: pw2.baseAddress!, bias: pb2.baseAddress)
                                Convolution.forwardPair(first, second, x: x.baseAddress!, y: &y, parallel: Parallel(threads: 2, isa: isa),
                                                        workspace: Workspace.poisoned())
                            }
                        }
                    }
                }
            }
            // (2-D Winograd's error grows with the terms summed, as WinogradTests bound it)
            let atol = max(1e-4, 1e-5 * Double(9 * max(gather.count, mid) + 1))
            let m = Numerics.firstMismatch(y, expected, rtol: 1e-4, atol: atol)
            #expect(m == nil, "\(isa) mid \(mid): \(String(describing: m))")
        }
    }
}

/// `Convolution.forwardChain`: residual blocks one after another on one trunk, against the
/// reference block by block. On AVX-512 and AVX2 the trunk images go through the blocks planar; the
/// blocks cover a gathered input, a whole-trunk input into 16 middle channels (tiles of two
/// rows) or 13 (a partial last tile on 20-pixel rows) or 32 (8x8 and 4x4 maps, packed planes),
/// outputs scattered out of order or written to every channel, ReLU and no activation,
/// a batch-norm scale, and a trunk that starts negative (planes no block writes still get the ReLU).
/// Maps of 4k rows of 16m pixels run every conv as column Winograd: two bands per pass (8 rows)
/// or one (12 rows, 4 rows), 16, 32 and 48 pixels (a last half tile).
@Suite("Fused convolution chains")
struct FusedConvolutionChainTests {
    struct Block {
        let gather: [Int]?
        let mid: Int
        let outs: Int
        let scatter: [Int]?
        let act: FusedNormKernel.Activation
        let scaled: Bool
    }

    static let width = 12
    static let blocks = [
        Block(gather: [0, 2, 3, 7, 8, 11], mid: 8, outs: 5, scatter: [10, 1, 6, 4, 9], act: .relu, scaled: true),
        Block(gather: nil, mid: 16, outs: 7, scatter: [0, 2, 3, 5, 7, 8, 11], act: .relu, scaled: false),
        Block(gather: [1, 4, 6, 9, 10], mid: 5, outs: 12, scatter: nil, act: .none, scaled: false),
    ]

    @Test("a chain of blocks equals the blocks one by one",
          arguments: [(6, 16), (5, 20), (5, 32), (8, 8), (4, 4), (8, 16), (12, 16), (8, 32), (4, 48)])
    func chain(h: Int, w: Int) throws {
        check(Self.blocks(rows: w), width: Self.width, h: h, w: w, planar: true)
    }

    /// `blocks` for rows of w pixels: 16 middle channels take the narrow path on rows of exactly
    /// 16 pixels only: 13 on longer rows; 32 on shorter ones (packed planes, outputs in passes of
    /// up to 13).
    static func blocks(rows w: Int) -> [Block] {
        blocks.map { b in
            Block(gather: b.gather, mid: b.mid != 16 || w == 16 ? b.mid : w < 16 ? 32 : 13, outs: b.outs, scatter: b.scatter,
                  act: b.act, scaled: b.scaled)
        }
    }

    /// 16-channel blocks (ResNet-56's first stage) on whole bands run planar as column Winograd;
    /// on NHWC rows the general kernel keeps them (narrow_applies), so only the chain takes them.
    @Test("16-channel blocks on whole bands run as a planar chain", arguments: [(8, 32), (4, 16), (12, 48)])
    func sixteenChannelChains(h: Int, w: Int) throws {
        let gathered = Block(gather: [0, 1, 2, 3, 5, 8, 13, 15], mid: 16, outs: 16, scatter: nil, act: .relu, scaled: true)
        let whole = Block(gather: nil, mid: 16, outs: 16, scatter: nil, act: .relu, scaled: false)
        check([whole, gathered, whole], width: 16, h: h, w: w, planar: true)
    }

    /// On short rows the general kernel keeps convs whose outputs fill whole vectors.
    @Test func shortRowsOfWholeVectorsRunBlockByBlock() throws {
        let block = Block(gather: nil, mid: 16, outs: 16, scatter: nil, act: .relu, scaled: false)
        check([block, block], width: 16, h: 8, w: 8, planar: false)
    }

    /// Blocks of at most 24 channels on short rows: AVX2 runs packed planes on maps whose rows
    /// divide its 8 lanes (and AVX-512 those whose pixels fill its 16: 8x8 and 4x4).
    @Test("narrow blocks on short rows run as a packed planar chain", arguments: [(8, 8), (4, 4), (6, 4), (3, 8), (4, 2)])
    func packedChains(h: Int, w: Int) throws {
        check(Self.blocks, width: Self.width, h: h, w: w, planar: h * w % 16 == 0)
    }

    /// Whole-trunk blocks of whole 8-channel vectors: a planar chain on AVX-512 (column
    /// Winograd), block by block on AVX2, where the general kernel's lanes are full.
    @Test func wholeTrunkBlocksOfWholeVectors() throws {
        let whole = Block(gather: nil, mid: 16, outs: 16, scatter: nil, act: .relu, scaled: false)
        check([whole, whole], width: 16, h: 8, w: 32, planar: true)
    }

    /// A chain whose trunk starts as another tensor's channels scattered (a stage's first block
    /// on a pruned stem): the planar chain writes each group of trunk images just before it runs
    /// them, groups of 1 and 2 images (3 per call on one thread, 2 and 1 on two) and of all.
    @Test("a chain starts from a scattered tensor", arguments: [(6, 16), (5, 20), (8, 8), (4, 4), (8, 32)])
    func scatteredStart(h: Int, w: Int) throws {
        let index = [0, 2, 3, 5, 7, 8, 11]
        for group in [1, 2, 0] {
            check(Self.blocks(rows: w), width: Self.width, h: h, w: w, planar: true,
                  start: (Numerics.random(3 * h * w * index.count, seed: 62).map(Float.init), index, group))
        }
    }

    /// Whether AVX2's chain (conv_chain_avx2.inc) takes these blocks: at most 24 outputs a conv,
    /// rows of 16 pixels or more or packed rows that divide 8 lanes into whole vectors, and some
    /// block that gathers, scatters or leaves a vector of outputs partly empty (chain_pays).
    static func avx2Runs(_ blocks: [Block], h: Int, w: Int) -> Bool {
        let narrow = blocks.allSatisfy { max($0.mid, $0.outs) <= 24 }
        let pays = blocks.contains { $0.gather != nil || $0.scatter != nil || $0.mid % 8 != 0 || $0.outs % 8 != 0 }
        return narrow && pays && (w >= 16 || (8 % w == 0 && h * w % 8 == 0))
    }

    /// Runs `blocks` on a trunk of `width` channels both ways; `planar`: whether the planar chain
    /// runs on AVX-512 (on AVX2: avx2Runs).
    /// With `start`, the trunk starts as `source`'s channels scattered to `index` (zeros elsewhere,
    /// whatever the trunk held), written `group` images at a time.
    func check(_ blocks: [Block], width: Int, h: Int, w: Int, planar: Bool,
               start: (source: [Float], index: [Int], group: Int)? = nil) {
        let batch = 3
        let trunk = Numerics.random(batch * h * w * width, seed: 61).map(Float.init)
        var expected = start.map {
            PointwiseReference.scatterAdd($0.source, into: [Float](repeating: 0, count: trunk.count), channels: width, index: $0.index)
        } ?? trunk
        struct Tensors { var g1: ConvGeometry, g2: ConvGeometry, w1: [Float], w2: [Float], b1: [Float], b2: [Float], scale: [Float] }
        let tensors = blocks.enumerated().map { k, b in
            let g1 = ConvGeometry(batch: batch, inHeight: h, inWidth: w, inChannels: b.gather?.count ?? width, outChannels: b.mid,
                                  kernel: 3, padding: 1)
            let g2 = ConvGeometry(batch: batch, inHeight: h, inWidth: w, inChannels: b.mid, outChannels: b.outs, kernel: 3, padding: 1)
            let seed = UInt64(70 + 10 * k)
            return Tensors(g1: g1, g2: g2, w1: Numerics.random(g1.weightCount, seed: seed, scale: 0.4).map(Float.init),
                           w2: Numerics.random(g2.weightCount, seed: seed + 1, scale: 0.4).map(Float.init),
                           b1: Numerics.random(b.mid, seed: seed + 2).map(Float.init),
                           b2: Numerics.random(b.outs, seed: seed + 3).map(Float.init),
                           scale: Numerics.random(b.mid, seed: seed + 4).map { Float(1 + $0 * 0.5) })
        }
        // the definition, block by block
        for (b, t) in zip(blocks, tensors) {
            let x = b.gather.map { PointwiseReference.gather(expected, channels: width, index: $0) } ?? expected
            let w1 = b.scaled ? t.w1.indices.map { t.w1[$0] * t.scale[$0 % b.mid] } : t.w1
            var a = [Float](repeating: 0, count: t.g1.outputCount), y = [Float](repeating: 0, count: t.g2.outputCount)
            ConvolutionReference.forward(t.g1, x: x, weight: w1, bias: t.b1, y: &a)
            ConvolutionReference.forward(t.g2, x: a.map { max($0, 0) }, weight: t.w2, bias: t.b2, y: &y)
            expected = PointwiseReference.scatterAdd(y, into: expected, channels: width, index: b.scatter ?? Array(0..<width))
                .map { b.act == .relu ? max($0, 0) : $0 }
        }
        // the calls' weights live in memory of the test's own for its duration
        var owned: [UnsafeMutablePointer<Float>] = []
        defer { owned.forEach { $0.deallocate() } }
        func pointer(_ v: [Float]) -> UnsafePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: v.count)
            p.initialize(from: v, count: v.count)
            owned.append(p)
            return UnsafePointer(p)
        }
        let calls = zip(blocks, tensors).map { b, t in
            (first: Convolution.FusedCall(t.g1, fusion: Convolution.Fusion(gather: b.gather?.map(Int32.init), gatherWidth: width),
                                          weight: pointer(t.w1), bias: pointer(t.b1), outputScale: b.scaled ? pointer(t.scale) : nil,
                                          activation: .relu),
             second: Convolution.FusedCall(t.g2, fusion: Convolution.Fusion(residual: true, scatter: b.scatter?.map(Int32.init),
                                                                            residualWidth: width, residualActivation: b.act),
                                           weight: pointer(t.w2), bias: pointer(t.b2)))
        }
        for isa in KernelISA.supported {
            // whole images of 4k rows of 16m pixels: every conv as column Winograd on AVX-512
            let column = tensors.map {
                Convolution.columnWinogradApplies($0.g1, parallel: Parallel(threads: 1, isa: isa)) &&
                    Convolution.columnWinogradApplies($0.g2, parallel: Parallel(threads: 1, isa: isa))
            }
            // (AVX2 answers for its NHWC narrow path; its chain takes bands of 4 rows of the 3x3 convs
            // of 4 inputs and 8 outputs or more on rows of 16 pixels or more, which the answer cannot show)
            if isa != .avx2 {
                #expect(column.allSatisfy { $0 == (planar && isa == .avx512 && h % 4 == 0 && w % 16 == 0) }, "\(isa) \(h)x\(w): \(column)")
            }
            var y = trunk
            let ran = y.withUnsafeMutableBufferPointer { p in
                (start?.source ?? []).withUnsafeBufferPointer { source in
                    let from = start.map {
                        Convolution.ChainStart(source: source.baseAddress!, ld: $0.index.count, index: $0.index.map(Int32.init), group: $0.group)
                    }
                    return Convolution.forwardChain(calls, trunk: p.baseAddress!, start: from, parallel: Parallel(threads: 2, isa: isa),
                                                    workspace: Workspace.poisoned())
                }
            }
            let runs = isa == .avx512 ? planar : isa == .avx2 ? Self.avx2Runs(blocks, h: h, w: w) : false
            #expect(ran == runs, "\(isa) \(h)x\(w): the planar chain runs exactly where the kernels have it")
            let m = Numerics.firstMismatch(y, expected, rtol: 1e-4, atol: 1e-4)
            #expect(m == nil, "\(isa) \(h)x\(w): \(String(describing: m))")
        }
    }
}
