import CDNALKernels

/// The DNAL channel gate: y[p][c] = x[p][c] * g[c]. The factors g (and, while alpha learns, the
/// slopes dg/dalpha) come from `Gate` in DNALCore; the kernel only applies them.
public enum GateKernel {
    /// y = x * factor[c]; x, y: [pixels, channels]
    public static func forward(x: UnsafePointer<Float>, pixels: Int, channels c: Int, factors: [Float],
                               y: UnsafeMutablePointer<Float>, parallel: Parallel) {
        BatchNormKernel.affine(x: x, pixels: pixels, channels: c, scale: factors, shift: nil, y: y, parallel: parallel)
    }

    /// dx = dy * factor[c]; with `slopes`, also dAlpha[c] += slope[c] * sum over pixels of dy * x.
    /// dOutput, x, dInput: [pixels, channels]
    public static func backward(dOutput: UnsafePointer<Float>, x: UnsafePointer<Float>, pixels: Int, channels c: Int,
                                factors: [Float], slopes: [Float]?, dInput: UnsafeMutablePointer<Float>,
                                dAlpha: UnsafeMutablePointer<Float>, parallel: Parallel) {
        if let slopes {
            let sums = BatchNormKernel.reduce(pixels: pixels, channels: c, parallel: parallel) { r, sum in
                dnal_channel_dot(dOutput + r.lowerBound * c, x + r.lowerBound * c, r.count, Int32(c), nil, sum)
            }
            for i in 0..<c { dAlpha[i] += Float(sums[i]) * slopes[i] }
        }
        BatchNormKernel.affine(x: dOutput, pixels: pixels, channels: c, scale: factors, shift: nil, y: dInput, parallel: parallel)
    }
}
