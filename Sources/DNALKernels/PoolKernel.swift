import CDNALKernels

/// Max, average and global-average pooling over NHWC images. Each pass is memory-bound and
/// writes only its own images, so the workers claim images in pieces (`forEachPiece`) rather
/// than taking fixed halves, which left one worker waiting on the other: a pruned VGG16's pool
/// backward passes took about 0.75-0.8 of their time with pieces, read against the unchanged
/// layers of the same interleaved runs.
public enum PoolKernel {
    /// Window geometry over a batch of images.
    public struct Geometry: Hashable, Sendable {
        public var batch: Int, height: Int, width: Int, channels: Int, kernel: Int, stride: Int, padding: Int
        public init(batch: Int, height: Int, width: Int, channels: Int, kernel: Int, stride: Int, padding: Int) {
            self.batch = batch
            self.height = height
            self.width = width
            self.channels = channels
            self.kernel = kernel
            self.stride = stride
            self.padding = padding
        }
        public var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
        public var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
        public var inputCount: Int { batch * height * width * channels }
        public var outputCount: Int { batch * outHeight * outWidth * channels }
        var raw: dnal_pool {
            dnal_pool(n: Int32(batch), h: Int32(height), w: Int32(width), c: Int32(channels), hout: Int32(outHeight),
                      wout: Int32(outWidth), k: Int32(kernel), stride: Int32(stride), pad: Int32(padding))
        }
    }

    /// y = window max; argmax (when given, for training) records where each came from (per image).
    public static func maxForward(_ g: Geometry, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                                  argmax: UnsafeMutablePointer<Int32>?, parallel: Parallel) {
        var d = g.raw
        parallel.forEachPiece(count: g.batch) { _, r in
            dnal_maxpool_forward(&d, x, y, argmax, Int32(r.lowerBound), Int32(r.upperBound))
        }
    }

    /// dx (overwritten) = dy routed to each window's maximum.
    public static func maxBackward(_ g: Geometry, dOutput: UnsafePointer<Float>, argmax: UnsafePointer<Int32>,
                                   dInput: UnsafeMutablePointer<Float>, parallel: Parallel) {
        var d = g.raw
        parallel.forEachPiece(count: g.batch) { _, r in
            dnal_maxpool_backward(&d, dOutput, argmax, dInput, Int32(r.lowerBound), Int32(r.upperBound))
        }
    }

    /// y = window sum / k^2 (padding counts as zeros).
    public static func averageForward(_ g: Geometry, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                                      parallel: Parallel) {
        var d = g.raw
        parallel.forEachPiece(count: g.batch) { _, r in
            dnal_avgpool_forward(&d, x, y, Int32(r.lowerBound), Int32(r.upperBound))
        }
    }

    /// dx (overwritten) = dy / k^2 spread over each window.
    public static func averageBackward(_ g: Geometry, dOutput: UnsafePointer<Float>, dInput: UnsafeMutablePointer<Float>,
                                       parallel: Parallel) {
        var d = g.raw
        parallel.forEachPiece(count: g.batch) { _, r in
            dnal_avgpool_backward(&d, dOutput, dInput, Int32(r.lowerBound), Int32(r.upperBound))
        }
    }

    /// y[n][c] = mean of x[n][.][c] over `pixels` positions.
    public static func globalForward(x: UnsafePointer<Float>, batch: Int, pixels: Int, channels: Int,
                                     y: UnsafeMutablePointer<Float>, parallel: Parallel) {
        parallel.forEachPiece(count: batch) { _, r in
            dnal_gap_forward(x, Int32(pixels), Int32(channels), y, Int32(r.lowerBound), Int32(r.upperBound))
        }
    }

    /// dx[n][p][c] = dy[n][c] / pixels (overwritten).
    public static func globalBackward(dOutput: UnsafePointer<Float>, batch: Int, pixels: Int, channels: Int,
                                      dInput: UnsafeMutablePointer<Float>, parallel: Parallel) {
        parallel.forEachPiece(count: batch) { _, r in
            dnal_gap_backward(dOutput, Int32(pixels), Int32(channels), dInput, Int32(r.lowerBound), Int32(r.upperBound))
        }
    }
}
