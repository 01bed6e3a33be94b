import CDNALKernels

/// ReLU and ReLU6 over `count` floats; the backward pass reads the forward output.
public enum ActivationKernel {
    /// y = max(x, 0) (min(., 6) for relu6); y may be x.
    public static func forward(x: UnsafePointer<Float>, count: Int, relu6: Bool, y: UnsafeMutablePointer<Float>,
                               parallel: Parallel) {
        parallel.forEachPiece(count: count, grain: 1 << 14) { _, r in
            dnal_relu_forward(x + r.lowerBound, r.count, relu6 ? 1 : 0, y + r.lowerBound)
        }
    }

    /// dx = dy where the output was strictly inside the active range; dx may be dy.
    public static func backward(dOutput: UnsafePointer<Float>, y: UnsafePointer<Float>, count: Int, relu6: Bool,
                                dInput: UnsafeMutablePointer<Float>, parallel: Parallel) {
        parallel.forEachPiece(count: count, grain: 1 << 14) { _, r in
            dnal_relu_backward(dOutput + r.lowerBound, y + r.lowerBound, r.count, relu6 ? 1 : 0, dInput + r.lowerBound)
        }
    }
}
