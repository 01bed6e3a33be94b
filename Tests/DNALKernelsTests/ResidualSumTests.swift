import DNALKernels
import DNALTestSupport
import Testing

/// A residual end, `y = act(trunk + scatter(branch))`, computed with the next conv's gather
/// (`TensorOps.sum`), and its gradient taken with that gather's pending gradient and the
/// branch's share in one pass (`TensorOps.sumScatterBackward`).
@Suite("Residual sums with their gathers")
struct ResidualSumTests {
    /// (pixels, width, pending channels, branch channels): trunks of 1 to 4 vectors (the AVX-512
    /// kernel, pending and branch channels on both sides of 16 and 32; the last vector partial in
    /// trunks the pruner trimmed, such as 63 channels), and what it leaves to the portable loop
    /// (wider than 64, a decreasing pending list).
    static let cases: [(Int, Int, [Int], [Int])] = [
        (5, 16, [0, 3, 15], [1, 2, 3, 4, 15]), (4, 16, Array(0..<16), []), (3, 16, [], Array(0..<16)),
        (6, 32, [1, 4, 9, 17, 30], [0, 16, 31]), (3, 32, [], (0..<32).filter { $0 % 3 != 1 }),
        (4, 48, Array(stride(from: 2, to: 48, by: 5)), Array(stride(from: 0, to: 48, by: 2))),
        (3, 64, (0..<64).filter { ($0 * 7919) % 5 < 3 }, [0, 15, 16, 31, 32, 47, 48, 63]),
        (2, 64, [63], Array(0..<64)), (3, 64, [], []),
        (3, 20, [0, 19], [5, 6]), (2, 80, [0, 40, 79], [1, 79]), (3, 16, [9, 2], [4]),
        (4, 63, (0..<63).filter { ($0 * 31) % 10 < 3 }, [0, 15, 16, 47, 48, 62]), (3, 5, [0, 2, 4], [1, 3]),
        (5, 33, [0, 16, 32], Array(0..<33)), (3, 47, [], [46]), (2, 10, Array(0..<10), []),
    ]

    @Test("the backward pass matches its definition on every ISA, in place and not", arguments: cases)
    func definition(pixels: Int, width: Int, pendingIndex: [Int], branchIndex: [Int]) {
        var dy = Numerics.random(pixels * width, seed: 5).map { Float($0 * 4) }
        var y = Numerics.random(pixels * width, seed: 6).enumerated().map { i, v -> Float in
            i % 7 == 3 ? 0 : Float(v * 8 + 1)  // exact zeros (slope 0) and values above 6
        }
        y[5] = .nan  // slope 0
        let zeroSlope = y.indices.first { y[$0] <= 0 }!
        dy[zeroSlope] = .nan  // a NaN gradient where the activation is flat: 0 through relu
        // negative zeros, which the pass must keep where nothing is added to them and the slope is 1
        for i in stride(from: 2, to: dy.count, by: 9) where i != zeroSlope { dy[i] = -0.0 }
        let pending = Numerics.random(pixels * pendingIndex.count, seed: 7).map(Float.init)
        let summed = PointwiseReference.scatterAdd(pending, into: dy, channels: width, index: pendingIndex)
        for act in [FusedNormKernel.Activation.none, .relu, .relu6] {
            let slope = y.map { v -> Bool in act == .none || (v > 0 && (act == .relu || v < 6)) }
            let dSum = zip(summed, slope).map { $1 ? $0 : 0 }
            let branch = PointwiseReference.gather(dSum, channels: width, index: branchIndex)
            for isa in KernelISA.supported {
                // the slope bits, checked against their definition
                let groups = (width + 15) / 16
                var mask = [UInt16](repeating: 0xAAAA, count: pixels * groups)
                TensorOps.slopeMask(y, pixels: pixels, width: width, activation: act, into: &mask, parallel: Parallel(threads: 2, isa: isa))
                let bits = (0..<(pixels * width)).map { i in mask[(i / width) * groups + (i % width) / 16] >> ((i % width) % 16) & 1 == 1 }
                #expect(bits == slope, "\(isa) \(act) slope bits")
                #expect(mask.indices.allSatisfy { j in width % 16 == 0 || j % groups < groups - 1 || mask[j] >> (width % 16) == 0 },
                        "\(isa) \(act) bits past the row")
                for inPlace in [false, true] {
                    var d = inPlace ? dy : [Float](repeating: -1, count: dy.count)
                    var g = [Float](repeating: -1, count: pixels * branchIndex.count)
                    dy.withUnsafeBufferPointer { dyb in
                        mask.withUnsafeBufferPointer { yb in
                            pending.withUnsafeBufferPointer { pb in
                                d.withUnsafeMutableBufferPointer { db in
                                    g.withUnsafeMutableBufferPointer { gb in
                                        let source = inPlace ? UnsafePointer(db.baseAddress!) : dyb.baseAddress!
                                        let p = pendingIndex.isEmpty ? nil : TensorOps.SumInput(pb.baseAddress!, ld: pendingIndex.count,
                                                                                               index: pendingIndex.map(Int32.init))
                                        let b = branchIndex.isEmpty ? nil : TensorOps.ChannelGather(gb.baseAddress!, ld: branchIndex.count,
                                                                                                     index: branchIndex.map(Int32.init))
                                        TensorOps.sumScatterBackward(dOutput: source, slopeMask: act == .none ? nil : yb.baseAddress!,
                                                                     width: width, pixels: pixels,
                                                                     pending: p, activation: act, into: db.baseAddress!, branch: b,
                                                                     parallel: Parallel(threads: 2, isa: isa))
                                    }
                                }
                            }
                        }
                    }
                    let what = "\(isa) \(act) in place \(inPlace)"
                    if act == .none {
                        #expect(d[zeroSlope].isNaN, "\(what)")
                        d[zeroSlope] = 0
                    }
                    let want = act == .none ? dSum.enumerated().map { $0.offset == zeroSlope ? 0 : $0.element } : dSum
                    #expect(d.map(\.bitPattern) == want.map(\.bitPattern), "\(what)")
                    if act == .none {
                        // the NaN reaches the branch only where it takes that channel
                        #expect(g.indices.allSatisfy { branch[$0].isNaN == g[$0].isNaN }, "\(what)")
                        #expect(zip(g, branch).allSatisfy { $0.isNaN || $0 == $1 }, "\(what)")
                    } else {
                        #expect(g == branch, "\(what)")
                    }
                }
            }
        }
    }

    /// The forward pass with a gather of the sum and its slope bits (the same shapes: the
    /// pending list is the branch's channels, the branch list the gather's), with one branch, with
    /// two (both then taken by the second's pass), and with a second plain input instead of
    /// branches (both from the finished block), across the sum's 256-pixel blocks.
    @Test("the forward pass and its gather match their definition on every ISA", arguments: cases)
    func forward(pixels: Int, width: Int, branchIndex: [Int], gatherIndex: [Int]) {
        guard !branchIndex.isEmpty, !gatherIndex.isEmpty else { return }
        let rows = pixels * 100  // several blocks and a partial one
        var trunk = Numerics.random(rows * width, seed: 8).map { Float($0 * 8) }
        trunk[1] = .nan
        // negative zeros, which the sum must keep where no branch adds to them (the activations keep them)
        for i in stride(from: 2, to: trunk.count, by: 9) { trunk[i] = -0.0 }
        let x = Numerics.random(rows * branchIndex.count, seed: 9).map { Float($0 * 8) }
        let third = [Int](0..<min(3, width))
        let x2 = Numerics.random(rows * third.count, seed: 10).map(Float.init)
        let plain = Numerics.random(rows * width, seed: 11).map(Float.init)
        // inputs the sum keeps pointers to, for the whole call
        let held = [trunk, plain, x, x2].map { a in
            let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: a.count)
            _ = b.initialize(from: a)
            return b
        }
        defer { for b in held { b.deallocate() } }
        for branches in [0, 1, 2] {
            var sum = branches == 0 ? zip(trunk, plain).map(+) : PointwiseReference.scatterAdd(x, into: trunk, channels: width, index: branchIndex)
            if branches == 2 { sum = PointwiseReference.scatterAdd(x2, into: sum, channels: width, index: third) }
            for act in [FusedNormKernel.Activation.none, .relu, .relu6] {
                // as the kernels define them: NaN and -0.0 pass through (not max(v, 0), which gives +0.0)
                let y = sum.map { v -> Float in act == .none || !(v < 0) ? (act == .relu6 && v > 6 ? 6 : v) : 0 }
                let gathered = PointwiseReference.gather(y, channels: width, index: gatherIndex)
                let groups = (width + 15) / 16
                var bits = [UInt16](repeating: 0, count: rows * groups)
                for (i, v) in y.enumerated() where act == .none || (v > 0 && (act == .relu || v < 6)) {
                    bits[(i / width) * groups + (i % width) / 16] |= 1 << ((i % width) % 16)
                }
                for isa in KernelISA.supported {
                    let out = UnsafeMutableBufferPointer<Float>.allocate(capacity: y.count)
                    let g = UnsafeMutableBufferPointer<Float>.allocate(capacity: gathered.count)
                    let mask = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: bits.count)
                    defer { out.deallocate(); g.deallocate(); mask.deallocate() }
                    out.initialize(repeating: -1)
                    g.initialize(repeating: -1)
                    mask.initialize(repeating: 0xAAAA)
                    let second = branches == 0 ? TensorOps.SumInput(held[1].baseAddress!, ld: width)
                        : TensorOps.SumInput(held[2].baseAddress!, ld: branchIndex.count, index: branchIndex.map(Int32.init))
                    var inputs = [TensorOps.SumInput(held[0].baseAddress!, ld: width), second]
                    if branches == 2 { inputs.append(TensorOps.SumInput(held[3].baseAddress!, ld: third.count, index: third.map(Int32.init))) }
                    TensorOps.sum(inputs, pixels: rows, width: width, activation: act, into: out.baseAddress!,
                                  gather: TensorOps.ChannelGather(g.baseAddress!, ld: gatherIndex.count, index: gatherIndex.map(Int32.init)),
                                  slopeMask: mask.baseAddress!, parallel: Parallel(threads: 2, isa: isa))
                    let what = "\(isa) \(act) branches \(branches)"
                    #expect(out[1].isNaN && zip(out, y).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }, "\(what)")
                    #expect(zip(g, gathered).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }, "\(what)")
                    #expect(Array(mask) == bits, "\(what) slope bits")
                }
            }
        }
    }
}
