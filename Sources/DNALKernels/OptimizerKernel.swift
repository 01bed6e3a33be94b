import Foundation
import CDNALKernels

/// Parameter updates over flat float arrays.
public enum OptimizerKernel {
    /// SGD with momentum (PyTorch's form, optionally Nesterov) and L2 weight decay.
    public static func sgd(weights: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
                           velocity: UnsafeMutablePointer<Float>, count: Int, learningRate: Float, momentum: Float,
                           weightDecay: Float, nesterov: Bool) {
        dnal_sgd_step(weights, gradients, velocity, count, learningRate, momentum, weightDecay, nesterov ? 1 : 0)
    }

    /// Adam with bias correction at step `step` (1-based) and L2 weight decay.
    public static func adam(weights: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
                            firstMoment: UnsafeMutablePointer<Float>, secondMoment: UnsafeMutablePointer<Float>, count: Int,
                            learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float, step: Int) {
        let c1 = 1 - Float(pow(Double(beta1), Double(step))), c2 = 1 - Float(pow(Double(beta2), Double(step)))
        dnal_adam_step(weights, gradients, firstMoment, secondMoment, count, learningRate, beta1, beta2, epsilon, weightDecay, c1, c2)
    }
}
