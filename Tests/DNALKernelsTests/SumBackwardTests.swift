import DNALKernels
import DNALTestSupport
import Testing

/// The gradient through a residual end, `y = act(trunk + scatter(branch))`, taken with a gather's
/// pending gradient and a branch's share in one pass (`TensorOps.sumScatterBackward`).
@Suite("Residual sum backward")
struct SumBackwardTests {
    /// (pixels, width, pending channels, branch channels): trunks of 1 to 4 whole vectors (the
    /// AVX-512 kernel, pending and branch channels on both sides of 16 and 32), and widths it
    /// leaves to the portable loop (not whole vectors, wider than 64, a decreasing pending list).
    static let cases: [(Int, Int, [Int], [Int])] = [
        (5, 16, [0, 3, 15], [1, 2, 3, 4, 15]), (4, 16, Array(0..<16), []), (3, 16, [], Array(0..<16)),
        (6, 32, [1, 4, 9, 17, 30], [0, 16, 31]), (3, 32, [], (0..<32).filter { $0 % 3 != 1 }),
        (4, 48, Array(stride(from: 2, to: 48, by: 5)), Array(stride(from: 0, to: 48, by: 2))),
        (3, 64, (0..<64).filter { ($0 * 7919) % 5 < 3 }, [0, 15, 16, 31, 32, 47, 48, 63]),
        (2, 64, [63], Array(0..<64)), (3, 64, [], []),
        (3, 20, [0, 19], [5, 6]), (2, 80, [0, 40, 79], [1, 79]), (3, 16, [9, 2], [4]),
    ]

    @Test("matches its definition on every ISA, in place and not", arguments: cases)
    func definition(pixels: Int, width: Int, pendingIndex: [Int], branchIndex: [Int]) {
        var dy = Numerics.random(pixels * width, seed: 5).map { Float($0 * 4) }
        let y = Numerics.random(pixels * width, seed: 6).enumerated().map { i, v -> Float in
            i % 7 == 3 ? 0 : Float(v * 8 + 1)  // exact zeros (slope 0) and values above 6
        }
        let zeroSlope = y.indices.first { y[$0] <= 0 }!
        dy[zeroSlope] = .nan  // a NaN gradient where the activation is flat: 0 through relu
        let pending = Numerics.random(pixels * pendingIndex.count, seed: 7).map(Float.init)
        let summed = PointwiseReference.scatterAdd(pending, into: dy, channels: width, index: pendingIndex)
        for act in [FusedNormKernel.Activation.none, .relu, .relu6] {
            let slope = y.map { v -> Bool in act == .none || (v > 0 && (act == .relu || v < 6)) }
            let dSum = zip(summed, slope).map { $1 ? $0 : 0 }
            let branch = PointwiseReference.gather(dSum, channels: width, index: branchIndex)
            for isa in KernelISA.supported {
                for inPlace in [false, true] {
                    var d = inPlace ? dy : [Float](repeating: -1, count: dy.count)
                    var g = [Float](repeating: -1, count: pixels * branchIndex.count)
                    dy.withUnsafeBufferPointer { dyb in
                        y.withUnsafeBufferPointer { yb in
                            pending.withUnsafeBufferPointer { pb in
                                d.withUnsafeMutableBufferPointer { db in
                                    g.withUnsafeMutableBufferPointer { gb in
                                        let source = inPlace ? UnsafePointer(db.baseAddress!) : dyb.baseAddress!
                                        let p = pendingIndex.isEmpty ? nil : TensorOps.SumInput(pb.baseAddress!, ld: pendingIndex.count,
                                                                                               index: pendingIndex.map(Int32.init))
                                        let b = branchIndex.isEmpty ? nil : TensorOps.BranchGradient(gb.baseAddress!, ld: branchIndex.count,
                                                                                                     index: branchIndex.map(Int32.init))
                                        TensorOps.sumScatterBackward(dOutput: source, output: yb.baseAddress!, width: width, pixels: pixels,
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
                    #expect(d == want, "\(what)")
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
}
