import DNALCore
import DNALKernels
import DNALTestSupport
import Testing

/// Every backward pass against central differences in Double: the reference backward exactly
/// (tight tolerance), the fast float kernel approximately.
@Suite("Backward passes vs finite differences")
struct GradientCheckTests {
    func expectClose(_ fd: [Int: Double], _ analytic: [Double], rtol: Double, atol: Double, _ what: String) {
        for (i, v) in fd.sorted(by: { $0.key < $1.key }) {
            #expect(abs(analytic[i] - v) <= atol + rtol * abs(v), "\(what)[\(i)]: analytic \(analytic[i]) vs numeric \(v)")
        }
    }

    @Test("convolution", arguments: [
        ConvGeometry(batch: 2, inHeight: 5, inWidth: 6, inChannels: 3, outChannels: 4, kernel: 3, stride: 1, padding: 1),
        ConvGeometry(batch: 1, inHeight: 7, inWidth: 7, inChannels: 4, outChannels: 5, kernel: 3, stride: 2, padding: 1),
        ConvGeometry(batch: 1, inHeight: 6, inWidth: 6, inChannels: 4, outChannels: 4, kernel: 3, stride: 1, padding: 1, groups: 4),
        ConvGeometry(batch: 2, inHeight: 5, inWidth: 5, inChannels: 4, outChannels: 6, kernel: 1, stride: 2, padding: 0, groups: 2),
        ConvGeometry.linear(batch: 3, inFeatures: 7, outFeatures: 5),
    ])
    func convolution(g: ConvGeometry) {
        let x = Numerics.random(g.inputCount, seed: 1), w = Numerics.random(g.weightCount, seed: 2)
        let b = Numerics.random(g.outChannels, seed: 3), r = FiniteDifferences.projection(g.outputCount, seed: 4)
        func loss(_ x: [Double], _ w: [Double], _ b: [Double]) -> Double {
            var y = [Double](repeating: 0, count: g.outputCount)
            ConvolutionReference.forward(g, x: x, weight: w, bias: b, y: &y)
            return FiniteDifferences.dot(y, r)
        }
        var dx = [Double](repeating: 0, count: g.inputCount), dw = [Double](repeating: 0, count: g.weightCount)
        var db = [Double](repeating: 0, count: g.outChannels)
        ConvolutionReference.backwardInput(g, dOutput: r, weight: w, dInput: &dx)
        ConvolutionReference.backwardWeight(g, x: x, dOutput: r, dWeight: &dw, dBias: &db)
        let fdx = FiniteDifferences.gradient(of: { loss($0, w, b) }, at: x, indices: FiniteDifferences.sample(x.count, 24, seed: 5))
        let fdw = FiniteDifferences.gradient(of: { loss(x, $0, b) }, at: w, indices: FiniteDifferences.sample(w.count, 24, seed: 6))
        let fdb = FiniteDifferences.gradient(of: { loss(x, w, $0) }, at: b)
        expectClose(fdx, dx, rtol: 1e-6, atol: 1e-8, "reference dx")
        expectClose(fdw, dw, rtol: 1e-6, atol: 1e-8, "reference dw")
        expectClose(fdb, db, rtol: 1e-6, atol: 1e-8, "reference db")

        // the fast float kernels
        let xf = x.map(Float.init), wf = w.map(Float.init), rf = r.map(Float.init)
        var fx = [Float](repeating: 0, count: g.inputCount), fw = [Float](repeating: 0, count: g.weightCount)
        var fb = [Float](repeating: 0, count: g.outChannels)
        Convolution.backwardInput(g, dOutput: rf, weight: wf, dInput: &fx, parallel: Parallel(threads: 2), workspace: Workspace())
        Convolution.backwardWeight(g, x: xf, dOutput: rf, dWeight: &fw, dBias: &fb, parallel: Parallel(threads: 2), workspace: Workspace())
        expectClose(fdx, fx.map(Double.init), rtol: 1e-4, atol: 1e-4, "fast dx")
        expectClose(fdw, fw.map(Double.init), rtol: 1e-4, atol: 1e-4, "fast dw")
        expectClose(fdb, fb.map(Double.init), rtol: 1e-4, atol: 1e-4, "fast db")
    }

    @Test func batchNorm() {
        let pixels = 12, c = 5
        let x = Numerics.random(pixels * c, seed: 7, scale: 2), gamma = Numerics.random(c, seed: 8)
        let beta = Numerics.random(c, seed: 9), r = FiniteDifferences.projection(pixels * c, seed: 10)
        let eps = 1e-5
        func loss(_ x: [Double], _ gm: [Double], _ bt: [Double]) -> Double {
            FiniteDifferences.dot(BatchNormReference.forwardTraining(x: x, pixels: pixels, channels: c, gamma: gm, shift: bt, epsilon: eps), r)
        }
        let ref = BatchNormReference.backward(dOutput: r, x: x, pixels: pixels, channels: c, gamma: gamma, epsilon: eps)
        let fdx = FiniteDifferences.gradient(of: { loss($0, gamma, beta) }, at: x)
        expectClose(fdx, ref.dx, rtol: 1e-5, atol: 1e-7, "reference dx")
        expectClose(FiniteDifferences.gradient(of: { loss(x, $0, beta) }, at: gamma), ref.dGamma, rtol: 1e-6, atol: 1e-8, "reference dgamma")
        expectClose(FiniteDifferences.gradient(of: { loss(x, gamma, $0) }, at: beta), ref.dShift, rtol: 1e-6, atol: 1e-8, "reference dbeta")

        // fast: forward against the reference, backward against finite differences
        let xf = x.map(Float.init), gf = gamma.map(Float.init), bf = beta.map(Float.init), rf = r.map(Float.init)
        var y = [Float](repeating: 0, count: x.count), rm = [Float](repeating: 0, count: c), rv = [Float](repeating: 1, count: c)
        var saved = BatchNormKernel.Saved(channels: c)
        BatchNormKernel.forwardTraining(x: xf, pixels: pixels, channels: c, gamma: gf, shift: bf, epsilon: Float(eps), momentum: 0.1,
                                        runningMean: &rm, runningVariance: &rv, y: &y, saved: &saved, parallel: Parallel(threads: 2))
        let yRef = BatchNormReference.forwardTraining(x: x, pixels: pixels, channels: c, gamma: gamma, shift: beta, epsilon: eps)
        #expect(Numerics.firstMismatch(y, yRef, rtol: 1e-5, atol: 1e-5) == nil)
        var dx = [Float](repeating: 0, count: x.count), dg = [Float](repeating: 0, count: c), db = dg
        BatchNormKernel.backward(dOutput: rf, x: xf, pixels: pixels, channels: c, gamma: gf, saved: saved, dInput: &dx,
                                 dGamma: &dg, dShift: &db, parallel: Parallel(threads: 2))
        expectClose(fdx, dx.map(Double.init), rtol: 1e-3, atol: 1e-4, "fast dx")
        #expect(Numerics.firstMismatch(dg, ref.dGamma, rtol: 1e-4, atol: 1e-5) == nil)
        #expect(Numerics.firstMismatch(db, ref.dShift, rtol: 1e-4, atol: 1e-5) == nil)
        // running statistics: mean moves 10% towards the batch mean, variance towards the unbiased one
        for ch in 0..<c {
            let column = (0..<pixels).map { x[$0 * c + ch] }
            let mean = column.reduce(0, +) / Double(pixels)
            let unbiased = column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(pixels - 1)
            #expect(abs(Double(rm[ch]) - 0.1 * mean) < 1e-6)
            #expect(abs(Double(rv[ch]) - (0.9 + 0.1 * unbiased)) < 1e-5)
        }
    }

    @Test("gate in search mode", arguments: [1.0, 2.51, 40.0])
    func gate(beta: Double) {
        let pixels = 6, c = 4
        let x = Numerics.random(pixels * c, seed: 11), alpha = Numerics.random(c, seed: 12, scale: 0.05)
        let mask = [1.0, 0.0, 1.0, 1.0], r = FiniteDifferences.projection(pixels * c, seed: 13)
        func loss(_ x: [Double], _ a: [Double]) -> Double {
            FiniteDifferences.dot(PointwiseReference.gate(x, channels: c, alpha: a, mask: mask, beta: beta), r)
        }
        let ref = PointwiseReference.gateBackward(dOutput: r, x: x, channels: c, alpha: alpha, mask: mask, beta: beta)
        let fdx = FiniteDifferences.gradient(of: { loss($0, alpha) }, at: x)
        let fda = FiniteDifferences.gradient(of: { loss(x, $0) }, at: alpha, step: 1e-6)
        expectClose(fdx, ref.dx, rtol: 1e-6, atol: 1e-8, "reference dx")
        expectClose(fda, ref.dAlpha, rtol: 1e-5, atol: 1e-7, "reference dalpha")

        let af = alpha.map(Float.init), mf = mask.map(Float.init)
        let gate = Gate(mode: .search, beta: Float(beta))
        let factors = gate.factors(alpha: af, mask: mf, channels: c)
        var y = [Float](repeating: 0, count: x.count)
        GateKernel.forward(x: x.map(Float.init), pixels: pixels, channels: c, factors: factors, y: &y, parallel: Parallel(threads: 1))
        #expect(Numerics.firstMismatch(y, PointwiseReference.gate(x, channels: c, alpha: alpha, mask: mask, beta: beta), rtol: 1e-5, atol: 1e-6) == nil)
        var dx = [Float](repeating: 0, count: x.count), da = [Float](repeating: 0, count: c)
        GateKernel.backward(dOutput: r.map(Float.init), x: x.map(Float.init), pixels: pixels, channels: c, factors: factors,
                            slopes: gate.slopes(alpha: af, mask: mf, channels: c), dInput: &dx, dAlpha: &da,
                            parallel: Parallel(threads: 2))
        expectClose(fdx, dx.map(Double.init), rtol: 1e-4, atol: 1e-5, "fast dx")
        expectClose(fda, da.map(Double.init), rtol: 1e-3, atol: 1e-4, "fast dalpha")
    }

    @Test func gateModes() {
        let alpha: [Float] = [-1, 0, 1e-3], mask: [Float] = [1, 1, 0]
        #expect(Gate(mode: .identity, beta: 1e4).factors(alpha: alpha, mask: mask, channels: 3) == [1, 1, 1])
        #expect(Gate(mode: .hard, beta: 1e4).factors(alpha: alpha, mask: mask, channels: 3) == [1, 1, 0])
        let soft = Gate(mode: .search, beta: 1e4).factors(alpha: alpha, mask: mask, channels: 3)
        #expect(soft[0] == 0 && soft[1] == 0.5 && soft[2] == 0)
        #expect(Gate.sigmoid(1e4 * 1e-3) > 0.9999 && Gate.sigmoid(-1e4) == 0)
    }

    /// 3 channels run the kernels' scalar tails only; 19 and 33, their vector loops and a tail;
    /// 16, whole vectors only. Kernel 3 (padding 1) takes the general window walk; kernel 2
    /// (stride 2, no padding) the 2x2 path, here on a 5 x 7 map whose last row and column no
    /// window reads, on every ISA (AVX-512 has its own; the others, pool.c's portable loop).
    @Test("pooling", arguments: [(true, 3, 3), (false, 3, 3), (true, 19, 3), (true, 3, 2), (true, 19, 2), (true, 33, 2),
                                 (true, 16, 2), (false, 19, 2)])
    func pooling(isMax: Bool, channels: Int, kernel: Int) {
        let g = kernel == 3
            ? PoolKernel.Geometry(batch: 2, height: 5, width: 6, channels: channels, kernel: 3, stride: 2, padding: 1)
            : PoolKernel.Geometry(batch: 3, height: 5, width: 7, channels: channels, kernel: 2, stride: 2, padding: 0)
        let x = Numerics.random(g.inputCount, seed: 14), r = FiniteDifferences.projection(g.outputCount, seed: 15)
        let ref = PointwiseReference.poolBackward(dOutput: r, x: x, g, max: isMax)
        let fd = FiniteDifferences.gradient(of: { FiniteDifferences.dot(PointwiseReference.pool($0, g, max: isMax), r) }, at: x)
        expectClose(fd, ref, rtol: 1e-6, atol: 1e-8, "reference")
        var y = [Float](repeating: 0, count: g.outputCount), dx = [Float](repeating: .nan, count: g.inputCount)
        var argmax = [Int32](repeating: 0, count: g.outputCount)
        if isMax {
            var first: ([Float], [Int32])?
            for isa in KernelISA.supported {
                let parallel = Parallel(threads: 2, isa: isa)
                PoolKernel.maxForward(g, x: x.map(Float.init), y: &y, argmax: &argmax, parallel: parallel)
                PoolKernel.maxBackward(g, dOutput: r.map(Float.init), argmax: argmax, dInput: &dx, parallel: parallel)
                // inference (no argmax) takes its own loop: the same maxima
                var inferred = [Float](repeating: .nan, count: g.outputCount)
                PoolKernel.maxForward(g, x: x.map(Float.init), y: &inferred, argmax: nil, parallel: parallel)
                #expect(inferred == y, "\(isa)")
                // every ISA's maxima and argmax are the first one's, bit for bit
                if let first { #expect(first.0 == y && first.1 == argmax, "\(isa)") } else { first = (y, argmax) }
                expectClose(fd, dx.map(Double.init), rtol: 1e-4, atol: 1e-5, "fast \(isa)")
            }
        } else {
            PoolKernel.averageForward(g, x: x.map(Float.init), y: &y, parallel: Parallel(threads: 2))
            PoolKernel.averageBackward(g, dOutput: r.map(Float.init), dInput: &dx, parallel: Parallel(threads: 2))
        }
        #expect(Numerics.firstMismatch(y, PointwiseReference.pool(x, g, max: isMax), rtol: 1e-5, atol: 1e-6) == nil)
        expectClose(fd, dx.map(Double.init), rtol: 1e-4, atol: 1e-5, "fast")
    }

    @Test func globalAveragePool() {
        let n = 2, pixels = 7, c = 3
        let x = Numerics.random(n * pixels * c, seed: 16), r = FiniteDifferences.projection(n * c, seed: 17)
        var y = [Float](repeating: 0, count: n * c), dx = [Float](repeating: 0, count: x.count)
        PoolKernel.globalForward(x: x.map(Float.init), batch: n, pixels: pixels, channels: c, y: &y, parallel: Parallel(threads: 2))
        PoolKernel.globalBackward(dOutput: r.map(Float.init), batch: n, pixels: pixels, channels: c, dInput: &dx, parallel: Parallel(threads: 2))
        func gap(_ x: [Double]) -> [Double] {
            (0..<(n * c)).map { i in (0..<pixels).reduce(0) { $0 + x[((i / c) * pixels + $1) * c + i % c] } / Double(pixels) }
        }
        #expect(Numerics.firstMismatch(y, gap(x), rtol: 1e-5, atol: 1e-6) == nil)
        expectClose(FiniteDifferences.gradient(of: { FiniteDifferences.dot(gap($0), r) }, at: x), dx.map(Double.init), rtol: 1e-4, atol: 1e-6, "fast")
    }

    @Test("relu and relu6", arguments: [false, true])
    func activations(relu6: Bool) {
        // keep values away from the kinks at 0 and 6, where the derivative is undefined
        let x = Numerics.random(40, seed: 18, scale: 8).map { abs($0) < 0.05 || abs(abs($0) - 6) < 0.05 ? $0 + 0.2 : $0 }
        let r = FiniteDifferences.projection(40, seed: 19)
        var y = [Float](repeating: 0, count: 40), dx = y
        ActivationKernel.forward(x: x.map(Float.init), count: 40, relu6: relu6, y: &y, parallel: Parallel(threads: 2))
        ActivationKernel.backward(dOutput: r.map(Float.init), y: y, count: 40, relu6: relu6, dInput: &dx, parallel: Parallel(threads: 2))
        #expect(Numerics.firstMismatch(y, PointwiseReference.relu(x, relu6: relu6), rtol: 0, atol: 1e-6) == nil)
        let fd = FiniteDifferences.gradient(of: { FiniteDifferences.dot(PointwiseReference.relu($0, relu6: relu6), r) }, at: x)
        expectClose(fd, dx.map(Double.init), rtol: 1e-5, atol: 1e-6, "fast")
    }

    @Test func softmaxCrossEntropy() {
        let batch = 4, classes = 5
        let z = Numerics.random(batch * classes, seed: 20, scale: 3), labels = [0, 4, 2, 2]
        var dz = [Float](repeating: 0, count: z.count)
        let loss = LossKernel.softmaxCrossEntropy(logits: z.map(Float.init), labels: labels.map(Int32.init), batch: batch,
                                                  classes: classes, dLogits: &dz)
        let ref = PointwiseReference.crossEntropy(z, labels: labels, classes: classes)
        #expect(abs((loss ?? .nan) - ref) < 1e-6)
        let fd = FiniteDifferences.gradient(of: { PointwiseReference.crossEntropy($0, labels: labels, classes: classes) }, at: z)
        expectClose(fd, dz.map(Double.init), rtol: 1e-4, atol: 1e-6, "fast dlogits")
        #expect(LossKernel.softmaxCrossEntropy(logits: [0, 1], labels: [2], batch: 1, classes: 2, dLogits: &dz) == nil)
        #expect(LossKernel.softmaxCrossEntropy(logits: [.nan, 1], labels: [0], batch: 1, classes: 2, dLogits: &dz) == nil)
    }

    @Test("zero-pad shortcut: its definition, and the adjoint of its backward", arguments: [(2, 5, 5, 3, 2, 7, 2), (3, 8, 6, 4, 2, 8, 4), (2, 7, 3, 5, 1, 9, 0)])
    func zeroPad(n: Int, h: Int, w: Int, ci: Int, s: Int, co: Int, off: Int) {
        let ho = (h - 1) / s + 1, wo = (w - 1) / s + 1
        let x = Numerics.random(n * h * w * ci, seed: 21).map(Float.init), dy = Numerics.random(n * ho * wo * co, seed: 22).map(Float.init)
        var y = [Float](repeating: .nan, count: dy.count), dx = [Float](repeating: .nan, count: x.count)
        // rows shared over 2 workers, each row zeroed and filled by one of them
        let parallel = Parallel(threads: 2)
        TensorOps.zeroPadForward(x: x, batch: n, height: h, width: w, inChannels: ci, stride: s, outChannels: co, offset: off, y: &y,
                                 parallel: parallel)
        TensorOps.zeroPadBackward(dOutput: dy, batch: n, height: h, width: w, inChannels: ci, stride: s, outChannels: co, offset: off,
                                  dInput: &dx, parallel: parallel)
        var want = [Float](repeating: 0, count: y.count)
        for b in 0..<n { for oh in 0..<ho { for ow in 0..<wo { for c in 0..<ci {
            want[((b * ho + oh) * wo + ow) * co + off + c] = x[((b * h + oh * s) * w + ow * s) * ci + c]
        } } } }
        #expect(y == want)
        let lhs = zip(y, dy).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let rhs = zip(x, dx).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(abs(lhs - rhs) < 1e-4)
        #expect(dx.allSatisfy { !$0.isNaN })
    }

    @Test func sgdAndAdamFollowTheirFormulas() {
        var w: [Float] = [1, -2], v: [Float] = [0.5, 0]
        OptimizerKernel.sgd(weights: &w, gradients: [0.1, 0.2], velocity: &v, count: 2, learningRate: 0.1, momentum: 0.9,
                            weightDecay: 0.01, nesterov: false)
        // g' = g + 0.01 w = [0.11, 0.18]; v = 0.9 v + g' = [0.56, 0.18]; w -= 0.1 v
        #expect(abs(v[0] - 0.56) < 1e-6 && abs(v[1] - 0.18) < 1e-6)
        #expect(abs(w[0] - 0.944) < 1e-6 && abs(w[1] + 2.018) < 1e-6)
        var a: [Float] = [1], m: [Float] = [0], s: [Float] = [0]
        OptimizerKernel.adam(weights: &a, gradients: [0.5], firstMoment: &m, secondMoment: &s, count: 1, learningRate: 0.01,
                             beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, step: 1)
        // the first bias-corrected Adam step moves by lr * sign(g)
        #expect(abs(a[0] - 0.99) < 1e-6)
    }
}

@Suite("NaN propagation")
struct NaNPropagationTests {
    @Test func reluAndMaxPoolKeepNaN() {
        var y = [Float](repeating: 0, count: 3)
        for relu6 in [false, true] {
            ActivationKernel.forward(x: [.nan, -1, 7], count: 3, relu6: relu6, y: &y, parallel: Parallel(threads: 1))
            #expect(y[0].isNaN && y[1] == 0 && y[2] == (relu6 ? 6 : 7))
        }
        // on every ISA: AVX-512 has its own 2x2 kernel, the others pool.c's portable loop
        for isa in KernelISA.supported {
            maxPoolKeepsNaN(Parallel(threads: 1, isa: isa))
        }
    }

    private func maxPoolKeepsNaN(_ parallel: Parallel) {
        let g = PoolKernel.Geometry(batch: 1, height: 2, width: 2, channels: 1, kernel: 2, stride: 2, padding: 0)
        var out: [Float] = [0], argmax: [Int32] = [0]
        for input: [Float] in [[1, .nan, 3, 2], [.nan, 5, 1, 2], [4, 5, 1, .nan]] {
            PoolKernel.maxForward(g, x: input, y: &out, argmax: &argmax, parallel: parallel)
            #expect(out[0].isNaN, "\(input)")
        }
        PoolKernel.maxForward(g, x: [1, 7, 3, 7], y: &out, argmax: &argmax, parallel: parallel)
        #expect(out[0] == 7 && argmax[0] == 1)
        // 19 channels (vector lanes and a tail): channel c has its NaN at pixel c % 5 (none
        // when 4), and a tie of 7 at pixels 1 and 3 otherwise, where the first must win
        let c = 19
        let wide = PoolKernel.Geometry(batch: 1, height: 2, width: 2, channels: c, kernel: 2, stride: 2, padding: 0)
        var x = [Float](repeating: 0, count: 4 * c)
        for ch in 0..<c {
            for p in 0..<4 { x[p * c + ch] = [Float(ch), 7, -1, 7][p] }
            if ch % 5 < 4 { x[(ch % 5) * c + ch] = .nan }
        }
        var outs = [Float](repeating: 0, count: c), index = [Int32](repeating: 0, count: c)
        PoolKernel.maxForward(wide, x: x, y: &outs, argmax: &index, parallel: parallel)
        for ch in 0..<c {
            if ch % 5 < 4 {
                #expect(outs[ch].isNaN && index[ch] == Int32((ch % 5) * c + ch), "channel \(ch)")
            } else {
                #expect(outs[ch] == max(7, Float(ch)) && index[ch] == Int32((ch > 7 ? 0 : 1) * c + ch), "channel \(ch)")
            }
        }
    }
}

@Suite("Channel index maps")
struct ChannelMapTests {
    /// Index lists around the AVX-512 kernels' edges: blocks of 16 lanes, windows of 16 and 32
    /// channels (wider ones fall back), windows ending at the row's last channel, lists that are
    /// not increasing (fall back).
    static let cases: [(Int, Int, [Int])] = [
        (5, 16, [0, 3, 15]), (7, 33, Array(stride(from: 1, to: 33, by: 2))), (3, 4, [3, 2, 1, 0]),
        (4, 16, Array(0..<16)), (3, 17, Array(1..<17)), (2, 40, [0, 5, 39]), (3, 64, Array(stride(from: 0, to: 64, by: 3))),
        (2, 100, Array(stride(from: 3, to: 100, by: 7))), (3, 48, Array(0..<33)), (2, 20, [19]), (2, 70, [0, 1, 2, 40, 69]),
        (3, 64, (0..<64).filter { ($0 * 7919) % 5 < 3 }), (3, 32, [1, 4, 9, 17, 30]), (2, 32, (0..<32).filter { $0 % 3 != 1 }), (2, 200, Array(stride(from: 0, to: 200, by: 2))), (1, 2400, Array(stride(from: 0, to: 2400, by: 2))),  // plans on the heap
    ]

    @Test("gather and scatter-add equal their twins on every ISA and are each other's adjoint", arguments: cases)
    func maps(pixels: Int, channels: Int, index: [Int]) {
        let x = Numerics.random(pixels * channels, seed: 1).map(Float.init)
        let small = Numerics.random(pixels * index.count, seed: 2).map(Float.init)
        let idx = index.map(Int32.init)
        for isa in KernelISA.supported {
            let parallel = Parallel(threads: 2, isa: isa)
            var gathered = [Float](repeating: .nan, count: small.count)
            TensorOps.gatherChannels(x, ldx: channels, pixels: pixels, index: idx, into: &gathered, ldy: index.count, parallel: parallel)
            #expect(gathered == PointwiseReference.gather(x, channels: channels, index: index), "\(isa)")
            var scattered = x
            TensorOps.scatterAddChannels(small, ldx: index.count, pixels: pixels, index: idx, into: &scattered, ldy: channels, parallel: parallel)
            #expect(scattered == PointwiseReference.scatterAdd(small, into: x, channels: channels, index: index), "\(isa)")
            // <gather(x), s> == <x, scatterAdd(s) into zeros>: gather's gradient is scatter-add
            var adjoint = [Float](repeating: 0, count: x.count)
            TensorOps.scatterAddChannels(small, ldx: index.count, pixels: pixels, index: idx, into: &adjoint, ldy: channels, parallel: parallel)
            let lhs = zip(gathered, small).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let rhs = zip(x, adjoint).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            #expect(abs(lhs - rhs) < 1e-4)
        }
    }

    /// The general sum (plain and scattered inputs, cache block by block) against its definition,
    /// across a block edge (256 pixels): two plain inputs, none, and one (the trunk its first
    /// branch reads directly).
    @Test func generalSum() {
        let pixels = 300, width = 20
        let plainA = Numerics.random(pixels * width, seed: 5).map(Float.init)
        let plainB = Numerics.random(pixels * width, seed: 6).map(Float.init)
        let s1: [Int] = [0, 3, 7, 19], s2: [Int] = Array(stride(from: 1, to: 20, by: 2))
        let x1 = Numerics.random(pixels * s1.count, seed: 7).map(Float.init)
        let x2 = Numerics.random(pixels * s2.count, seed: 8).map(Float.init)
        let zeros = [Float](repeating: 0, count: pixels * width)
        // plain inputs 2, 0 and 1 (a trunk its first branch reads directly), with 2 or 1 branches
        for (plains, branches) in [(2, 2), (0, 2), (1, 2), (1, 1)] {
            var expected = plains == 2 ? zip(plainA, plainB).map(+) : plains == 1 ? plainA : zeros
            expected = PointwiseReference.scatterAdd(x1, into: expected, channels: width, index: s1)
            if branches == 2 { expected = PointwiseReference.scatterAdd(x2, into: expected, channels: width, index: s2) }
            for act in [FusedNormKernel.Activation.none, .relu, .relu6] {
                for isa in KernelISA.supported {
                    var y = [Float](repeating: .nan, count: pixels * width)
                    plainA.withUnsafeBufferPointer { a in
                        plainB.withUnsafeBufferPointer { b in
                            x1.withUnsafeBufferPointer { p1 in
                                x2.withUnsafeBufferPointer { p2 in
                                    var inputs = [TensorOps.SumInput(p1.baseAddress!, ld: s1.count, index: s1.map(Int32.init))]
                                    if branches == 2 { inputs.append(TensorOps.SumInput(p2.baseAddress!, ld: s2.count, index: s2.map(Int32.init))) }
                                    if plains >= 1 { inputs.insert(TensorOps.SumInput(a.baseAddress!, ld: width), at: 0) }
                                    if plains == 2 { inputs.append(TensorOps.SumInput(b.baseAddress!, ld: width)) }
                                    TensorOps.sum(inputs, pixels: pixels, width: width, activation: act, into: &y,
                                                  parallel: Parallel(threads: 2, isa: isa))
                                }
                            }
                        }
                    }
                    let want = expected.map { act == .none ? $0 : (act == .relu ? max($0, 0) : min(max($0, 0), 6)) }
                    #expect(Numerics.firstMismatch(y, want, rtol: 1e-6, atol: 1e-6) == nil, "\(isa) \(act) plain \(plains) branches \(branches)")
                }
            }
        }
    }

    /// The fused residual end, act(trunk + scatter(x)), against its definition on every ISA, in
    /// place and not, with NaN passing through the activation.
    @Test("sum with a scattered branch and the activation after it", arguments: cases.filter { zip($0.2, $0.2.dropFirst()).allSatisfy(<) })
    func sumScatter(pixels: Int, channels: Int, index: [Int]) {
        var trunk = Numerics.random(pixels * channels, seed: 3).map { Float($0 * 8) }
        trunk[0] = .nan
        let x = Numerics.random(pixels * index.count, seed: 4).map { Float($0 * 8) }
        let sum = PointwiseReference.scatterAdd(x, into: trunk, channels: channels, index: index)
        for act in [FusedNormKernel.Activation.none, .relu, .relu6] {
            let expected = sum.map { v -> Float in
                act == .none || v.isNaN ? v : (act == .relu ? max(v, 0) : min(max(v, 0), 6))
            }
            for isa in KernelISA.supported {
                for inPlace in [false, true] {
                    var y = inPlace ? trunk : [Float](repeating: -1, count: trunk.count)
                    trunk.withUnsafeBufferPointer { t in
                        y.withUnsafeMutableBufferPointer { out in
                            TensorOps.sumScatter(trunk: inPlace ? UnsafePointer(out.baseAddress!) : t.baseAddress!, ldt: channels, x,
                                                 ldx: index.count, pixels: pixels, index: index.map(Int32.init), into: out.baseAddress!,
                                                 ldy: channels, width: channels, activation: act, parallel: Parallel(threads: 2, isa: isa))
                        }
                    }
                    #expect(y[0].isNaN, "\(isa) \(act)")
                    #expect(Array(y.dropFirst()) == Array(expected.dropFirst()), "\(isa) \(act) in place \(inPlace)")
                }
            }
        }
    }
}
