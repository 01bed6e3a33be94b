import CDNALKernels

/// Softmax cross-entropy over a batch of logits.
public enum LossKernel {
    /// Mean loss over the batch, and dLogits = (softmax - onehot) / batch. Returns nil when a
    /// label is out of range or a logit is not finite (the caller reports it).
    /// logits, dLogits: [batch, classes]
    public static func softmaxCrossEntropy(logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int,
                                           classes: Int, dLogits: UnsafeMutablePointer<Float>) -> Double? {
        var sum = 0.0
        let status = dnal_softmax_cross_entropy(logits, labels, 0, Int32(batch), Int32(classes), 1 / Float(batch), &sum, dLogits)
        return status == 0 ? sum / Double(batch) : nil
    }
}
