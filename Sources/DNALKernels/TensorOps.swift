import CDNALKernels

/// Data movement and elementwise arithmetic: sums, channel slices (concat, zero-pad), the
/// NHWC <-> CHW flatten order, dropout masks.
public enum TensorOps {
    /// y = a + b over `count` floats (y may alias a or b).
    public static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int,
                           into y: UnsafeMutablePointer<Float>, parallel: Parallel) {
        parallel.forEachPiece(count: count, grain: 1 << 14) { _, r in
            dnal_add(a + r.lowerBound, b + r.lowerBound, r.count, y + r.lowerBound)
        }
    }

    /// y = x over `count` floats, in chunks over the workers (one core's copy bandwidth is a
    /// fraction of the machine's).
    public static func copy(_ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<Float>, parallel: Parallel) {
        parallel.forEachPiece(count: count, grain: 1 << 14) { _, r in
            (y + r.lowerBound).update(from: x + r.lowerBound, count: r.count)
        }
    }

    /// y = x * m elementwise.
    public static func multiply(_ x: UnsafePointer<Float>, _ m: UnsafePointer<Float>, count: Int,
                                into y: UnsafeMutablePointer<Float>, parallel: Parallel) {
        parallel.forEachPiece(count: count, grain: 1 << 14) { _, r in
            dnal_multiply(x + r.lowerBound, m + r.lowerBound, r.count, y + r.lowerBound)
        }
    }

    /// Copies (or adds) `width` channels per pixel between tensors with pixel strides ldx, ldy.
    public static func copyChannels(_ x: UnsafePointer<Float>, ldx: Int, pixels: Int, width: Int,
                                    into y: UnsafeMutablePointer<Float>, ldy: Int, accumulate: Bool, parallel: Parallel) {
        parallel.forEachPiece(count: pixels, grain: 1024) { _, r in
            dnal_copy_channels(x + r.lowerBound * ldx, Int32(ldx), r.count, Int32(width), y + r.lowerBound * ldy, Int32(ldy),
                               accumulate ? 1 : 0)
        }
    }

    /// y[p][k] = x[p][index[k]]: the channels a pruned conv reads. x: [pixels, ldx], y: [pixels, index.count]
    /// (pixel stride ldy). The gradient is `scatterAddChannels` with the same index.
    public static func gatherChannels(_ x: UnsafePointer<Float>, ldx: Int, pixels: Int, index: [Int32],
                                      into y: UnsafeMutablePointer<Float>, ldy: Int, parallel: Parallel) {
        parallel.forEachPiece(count: pixels, grain: 1024) { _, r in
            dnal_gather_channels(x + r.lowerBound * ldx, Int32(ldx), r.count, index, Int32(index.count), y + r.lowerBound * ldy, Int32(ldy))
        }
    }

    /// y[p][index[k]] += x[p][k]: a pruned residual branch adding its kept channels into the trunk.
    /// The gradient is `gatherChannels` with the same index. `index` must not repeat a channel.
    public static func scatterAddChannels(_ x: UnsafePointer<Float>, ldx: Int, pixels: Int, index: [Int32],
                                          into y: UnsafeMutablePointer<Float>, ldy: Int, parallel: Parallel) {
        parallel.forEachPiece(count: pixels, grain: 1024) { _, r in
            dnal_scatter_add_channels(x + r.lowerBound * ldx, Int32(ldx), r.count, index, Int32(index.count), y + r.lowerBound * ldy, Int32(ldy))
        }
    }

    /// y[p][c] = act(trunk[p][c] + x[p][k] where index[k] == c) over `width` channels: a residual
    /// sum whose branch writes only some trunk channels, with the activation after it, in one pass.
    public static func sumScatter(trunk: UnsafePointer<Float>, ldt: Int, _ x: UnsafePointer<Float>, ldx: Int, pixels: Int,
                                  index: [Int32], into y: UnsafeMutablePointer<Float>, ldy: Int, width: Int,
                                  activation: FusedNormKernel.Activation, parallel: Parallel) {
        parallel.forEachPiece(count: pixels, grain: 1024) { _, r in
            dnal_sum_scatter_act(trunk + r.lowerBound * ldt, Int32(ldt), x + r.lowerBound * ldx, Int32(ldx), index,
                                 Int32(index.count), r.count, y + r.lowerBound * ldy, Int32(ldy), Int32(width),
                                 activation.rawValue)
        }
    }

    /// Option-A shortcut: y[n][oh][ow][offset + c] = x[n][oh*s][ow*s][c]; other channels 0.
    /// x: [N,H,W,Ci], y: [N,Ho,Wo,Co]. Row by row over the workers, each row zeroed and filled
    /// while it is in cache (one pass over y, not a zero fill and then a copy).
    public static func zeroPadForward(x: UnsafePointer<Float>, batch: Int, height: Int, width: Int, inChannels: Int,
                                      stride: Int, outChannels: Int, offset: Int, y: UnsafeMutablePointer<Float>,
                                      parallel: Parallel) {
        let ho = (height - 1) / stride + 1, wo = (width - 1) / stride + 1
        parallel.forEachPiece(count: batch * ho, grain: 8) { _, rows in
            for r in rows {
                let n = r / ho, oh = r % ho
                let dst = y + r * wo * outChannels
                dst.update(repeating: 0, count: wo * outChannels)
                let src = x + ((n * height + oh * stride) * width) * inChannels
                dnal_copy_channels(src, Int32(stride * inChannels), wo, Int32(inChannels), dst + offset, Int32(outChannels), 0)
            }
        }
    }

    /// dx[n][h][w][c] = dy[n][h/s][w/s][offset + c] where h, w are multiples of s, else 0; row by
    /// row over the workers, as the forward pass.
    public static func zeroPadBackward(dOutput: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
                                       inChannels: Int, stride: Int, outChannels: Int, offset: Int,
                                       dInput: UnsafeMutablePointer<Float>, parallel: Parallel) {
        let ho = (height - 1) / stride + 1, wo = (width - 1) / stride + 1
        parallel.forEachPiece(count: batch * height, grain: 8) { _, rows in
            for r in rows {
                let n = r / height, h = r % height
                let dst = dInput + r * width * inChannels
                dst.update(repeating: 0, count: width * inChannels)
                guard h % stride == 0 else { continue }
                let src = dOutput + ((n * ho + h / stride) * wo) * outChannels + offset
                dnal_copy_channels(src, Int32(outChannels), wo, Int32(inChannels), dst, Int32(stride * inChannels), 0)
            }
        }
    }

    /// NHWC [n][hw][c] -> CHW-flat [n][c*hw] (PyTorch's flatten order), and back.
    public static func toCHW(_ x: UnsafePointer<Float>, batch: Int, pixels: Int, channels: Int, into y: UnsafeMutablePointer<Float>) {
        dnal_nhwc_to_chw(x, Int32(batch), Int32(pixels), Int32(channels), y)
    }

    public static func fromCHW(_ x: UnsafePointer<Float>, batch: Int, pixels: Int, channels: Int, into y: UnsafeMutablePointer<Float>) {
        dnal_chw_to_nhwc(x, Int32(batch), Int32(pixels), Int32(channels), y)
    }
}
