import Foundation

/// Scalar twins of the activation, gate, pooling, zero-pad and loss kernels, generic for finite
/// differences in Double. Layouts as the fast kernels: NHWC, `[pixels, channels]`.
public enum PointwiseReference {
    public static func relu<T: BinaryFloatingPoint>(_ x: [T], relu6: Bool) -> [T] {
        x.map { relu6 ? min(max($0, 0), 6) : max($0, 0) }
    }

    public static func reluBackward<T: BinaryFloatingPoint>(dOutput: [T], y: [T], relu6: Bool) -> [T] {
        zip(dOutput, y).map { dy, v in v > 0 && (!relu6 || v < 6) ? dy : 0 }
    }

    public static func sigmoid<T: BinaryFloatingPoint & ElementaryFunctionsLite>(_ x: T) -> T { 1 / (1 + T.expLite(-x)) }

    /// y = x * sigmoid(beta * alpha[c]) * mask[c] (search mode).
    public static func gate<T: BinaryFloatingPoint & ElementaryFunctionsLite>(_ x: [T], channels c: Int, alpha: [T], mask: [T],
                                                                          beta: T) -> [T] {
        x.indices.map { x[$0] * sigmoid(beta * alpha[$0 % c]) * mask[$0 % c] }
    }

    /// (dx, dAlpha) of `gate`.
    public static func gateBackward<T: BinaryFloatingPoint & ElementaryFunctionsLite>(
        dOutput: [T], x: [T], channels c: Int, alpha: [T], mask: [T], beta: T) -> (dx: [T], dAlpha: [T]) {
        var dAlpha = [T](repeating: 0, count: c)
        let dx = x.indices.map { i -> T in
            let s = sigmoid(beta * alpha[i % c])
            dAlpha[i % c] += dOutput[i] * x[i] * beta * s * (1 - s) * mask[i % c]
            return dOutput[i] * s * mask[i % c]
        }
        return (dx, dAlpha)
    }

    /// Max (first maximum wins) or average (divisor k*k) pooling.
    public static func pool<T: BinaryFloatingPoint>(_ x: [T], _ g: PoolKernel.Geometry, max isMax: Bool) -> [T] {
        var y = [T](repeating: 0, count: g.outputCount)
        forEachWindow(g) { yi, taps in
            if isMax {
                var best = -T.infinity
                for xi in taps where x[xi] > best { best = x[xi] }
                y[yi] = best
            } else {
                y[yi] = taps.reduce(T(0)) { $0 + x[$1] } / T(g.kernel * g.kernel)
            }
        }
        return y
    }

    /// dx of `pool`.
    public static func poolBackward<T: BinaryFloatingPoint>(dOutput: [T], x: [T], _ g: PoolKernel.Geometry, max isMax: Bool) -> [T] {
        var dx = [T](repeating: 0, count: g.inputCount)
        forEachWindow(g) { yi, taps in
            if isMax {
                var best = taps.first!
                for xi in taps where x[xi] > x[best] { best = xi }
                dx[best] += dOutput[yi]
            } else {
                for xi in taps { dx[xi] += dOutput[yi] / T(g.kernel * g.kernel) }
            }
        }
        return dx
    }

    /// Calls `body(outputIndex, inputIndicesInRange)` for every output element.
    static func forEachWindow(_ g: PoolKernel.Geometry, _ body: (Int, [Int]) -> Void) {
        for n in 0..<g.batch {
            for oh in 0..<g.outHeight {
                for ow in 0..<g.outWidth {
                    for c in 0..<g.channels {
                        var taps: [Int] = []
                        for kh in 0..<g.kernel {
                            for kw in 0..<g.kernel {
                                let ih = oh * g.stride - g.padding + kh, iw = ow * g.stride - g.padding + kw
                                if ih >= 0 && ih < g.height && iw >= 0 && iw < g.width {
                                    taps.append(((n * g.height + ih) * g.width + iw) * g.channels + c)
                                }
                            }
                        }
                        body(((n * g.outHeight + oh) * g.outWidth + ow) * g.channels + c, taps)
                    }
                }
            }
        }
    }

    /// y[p][k] = x[p][index[k]] over `channels`-wide pixels.
    public static func gather<T: BinaryFloatingPoint>(_ x: [T], channels: Int, index: [Int]) -> [T] {
        (0..<(x.count / channels)).flatMap { p in index.map { x[p * channels + $0] } }
    }

    /// y[p][index[k]] += x[p][k], into a copy of `y` (`channels`-wide pixels).
    public static func scatterAdd<T: BinaryFloatingPoint>(_ x: [T], into y: [T], channels: Int, index: [Int]) -> [T] {
        var out = y
        for p in 0..<(y.count / channels) { for (k, c) in index.enumerated() { out[p * channels + c] += x[p * index.count + k] } }
        return out
    }

    /// Mean cross-entropy of softmax(logits) against labels.
    public static func crossEntropy<T: BinaryFloatingPoint & ElementaryFunctionsLite>(_ logits: [T], labels: [Int], classes: Int) -> T {
        var total: T = 0
        for (n, label) in labels.enumerated() {
            let row = logits[(n * classes)..<((n + 1) * classes)]
            let m = row.max()!
            let s = row.reduce(T(0)) { $0 + T.expLite($1 - m) }
            total += T(Foundation.log(Double(s))) + m - row[n * classes + label]
        }
        return total / T(labels.count)
    }
}
