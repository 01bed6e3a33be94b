import CDNALKernels
import Foundation

/// Batch normalisation over NHWC tensors seen as `pixels x channels` (a vector batch is
/// `batch x features`). Statistics are reduced per piece of the pixels in double and added in piece order.
public enum BatchNormKernel {
    /// What the forward pass keeps for the backward pass: batch mean and 1/sqrt(var + eps).
    public struct Saved {
        public var mean: [Float]
        public var inverseStd: [Float]
        public init(channels: Int) {
            mean = Array(repeating: 0, count: channels)
            inverseStd = Array(repeating: 0, count: channels)
        }
    }

    /// y = (x - mean_batch) / sqrt(var_batch + eps) * gamma + shift; the running statistics move
    /// by `momentum` towards the batch's (unbiased variance, as PyTorch).
    /// x, y: [pixels, channels]
    public static func forwardTraining(x: UnsafePointer<Float>, pixels: Int, channels c: Int,
                                       gamma: UnsafePointer<Float>, shift bnShift: UnsafePointer<Float>, epsilon: Float,
                                       momentum: Float, runningMean: UnsafeMutablePointer<Float>,
                                       runningVariance: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>,
                                       saved: inout Saved, parallel: Parallel) {
        statistics(x: x, pixels: pixels, channels: c, epsilon: epsilon, momentum: momentum, runningMean: runningMean,
                   runningVariance: runningVariance, saved: &saved, parallel: parallel)
        var scale = [Float](repeating: 0, count: c), shift = scale
        for i in 0..<c {
            scale[i] = gamma[i] * saved.inverseStd[i]
            shift[i] = bnShift[i] - saved.mean[i] * scale[i]
        }
        affine(x: x, pixels: pixels, channels: c, scale: scale, shift: shift, y: y, parallel: parallel)
    }

    /// Batch mean and 1/std into `saved`, and the running statistics moved by `momentum`
    /// (unbiased variance, as PyTorch). One pass over x: each piece of the pixels gets its
    /// channels' means and centred sums of squares from 64-pixel blocks it reads twice while they
    /// are in L1 (`dnal_channel_moments`); a second pass over x for the squares was 2-4% of a
    /// pruned ResNet's training step. The pieces are merged in double, in piece order (Chan,
    /// Golub and LeVeque's pairwise update), so the result does not depend on which worker ran
    /// which piece.
    public static func statistics(x: UnsafePointer<Float>, pixels: Int, channels c: Int, epsilon: Float, momentum: Float,
                                  runningMean: UnsafeMutablePointer<Float>, runningVariance: UnsafeMutablePointer<Float>,
                                  saved: inout Saved, parallel: Parallel) {
        let pieces = parallel.pieces(count: pixels, grain: 256)
        let partials = UnsafeMutablePointer<Double>.allocate(capacity: max(1, pieces.count) * 2 * c)
        defer { partials.deallocate() }
        partials.initialize(repeating: 0, count: max(1, pieces.count) * 2 * c)
        parallel.forEach(pieces) { _, i in
            let moments = partials + i * 2 * c
            dnal_channel_moments(x + pieces[i].lowerBound * c, pieces[i].count, Int32(c), moments, moments + c)
        }
        var count = 0.0
        var mean = [Double](repeating: 0, count: c), squares = mean
        for i in 0..<pieces.count where !pieces[i].isEmpty {
            let n = Double(pieces[i].count), moments = partials + i * 2 * c
            dnal_moments_combine(Int32(c), count, n, moments, moments + c, &mean, &squares)
            count += n
        }
        for i in 0..<c {
            let variance = squares[i] / Double(pixels)
            saved.mean[i] = Float(mean[i])
            saved.inverseStd[i] = Float(1 / (variance + Double(epsilon)).squareRoot())
            let unbiased = pixels > 1 ? squares[i] / Double(pixels - 1) : variance
            runningMean[i] = (1 - momentum) * runningMean[i] + momentum * Float(mean[i])
            runningVariance[i] = (1 - momentum) * runningVariance[i] + momentum * Float(unbiased)
        }
    }

    /// y = (x - runningMean) / sqrt(runningVariance + eps) * gamma + shift.
    public static func forwardInference(x: UnsafePointer<Float>, pixels: Int, channels c: Int,
                                        gamma: UnsafePointer<Float>, shift bnShift: UnsafePointer<Float>, epsilon: Float,
                                        runningMean: UnsafePointer<Float>, runningVariance: UnsafePointer<Float>,
                                        y: UnsafeMutablePointer<Float>, parallel: Parallel) {
        var scale = [Float](repeating: 0, count: c), shift = scale
        for i in 0..<c {
            scale[i] = gamma[i] / (runningVariance[i] + epsilon).squareRoot()
            shift[i] = bnShift[i] - runningMean[i] * scale[i]
        }
        affine(x: x, pixels: pixels, channels: c, scale: scale, shift: shift, y: y, parallel: parallel)
    }

    /// Given dy, returns dx (overwritten) and accumulates dGamma, dShift, for a training-mode pass.
    public static func backward(dOutput: UnsafePointer<Float>, x: UnsafePointer<Float>, pixels: Int, channels c: Int,
                                gamma: UnsafePointer<Float>, saved: Saved, dInput: UnsafeMutablePointer<Float>,
                                dGamma: UnsafeMutablePointer<Float>, dShift: UnsafeMutablePointer<Float>, parallel: Parallel) {
        let sums = reduce(pixels: pixels, channels: 2 * c, parallel: parallel) { r, sum in
            dnal_channel_dot(dOutput + r.lowerBound * c, x + r.lowerBound * c, r.count, Int32(c), sum, sum + c)
        }
        var k1 = [Float](repeating: 0, count: c), k2 = k1, k3 = k1
        let m = Double(pixels)
        for i in 0..<c {
            let sumDy = sums[i], sumDyX = sums[c + i]
            let mean = Double(saved.mean[i]), inv = Double(saved.inverseStd[i])
            let sumDyCentered = sumDyX - mean * sumDy
            dShift[i] += Float(sumDy)
            dGamma[i] += Float(sumDyCentered * inv)
            k1[i] = gamma[i] * Float(inv)
            k2[i] = Float(sumDy / m)
            k3[i] = Float(inv * inv * sumDyCentered / m)
        }
        saved.mean.withUnsafeBufferPointer { mean in
            parallel.forEachPiece(count: pixels, grain: 256) { _, r in
                dnal_bn_backward_data(dOutput + r.lowerBound * c, x + r.lowerBound * c, r.count, Int32(c), mean.baseAddress!,
                                      k1, k2, k3, dInput + r.lowerBound * c)
            }
        }
    }

    /// y[p][c] = x[p][c] * scale[c] + shift[c]
    static func affine(x: UnsafePointer<Float>, pixels: Int, channels c: Int, scale: [Float], shift: [Float]?,
                       y: UnsafeMutablePointer<Float>, parallel: Parallel) {
        parallel.forEachPiece(count: pixels, grain: 256) { _, r in
            dnal_channel_affine(x + r.lowerBound * c, r.count, Int32(c), scale, shift, y + r.lowerBound * c)
        }
    }

    /// Per-channel sums over pieces of the pixels (`Parallel.pieces`), added in piece order, so
    /// the total does not depend on which worker summed which piece. Each piece owns a disjoint
    /// slice of one zeroed allocation (no shared copy-on-write storage between threads).
    static func reduce(pixels: Int, channels c: Int, parallel: Parallel,
                       _ body: (Range<Int>, UnsafeMutablePointer<Double>) -> Void) -> [Double] {
        let pieces = parallel.pieces(count: pixels, grain: 256)
        let parts = max(1, pieces.count)
        let partials = UnsafeMutablePointer<Double>.allocate(capacity: parts * c)
        defer { partials.deallocate() }
        partials.initialize(repeating: 0, count: parts * c)
        parallel.forEach(pieces) { _, i in body(pieces[i], partials + i * c) }
        var total = [Double](repeating: 0, count: c)
        for p in 0..<parts { for i in 0..<c { total[i] += partials[p * c + i] } }
        return total
    }
}
