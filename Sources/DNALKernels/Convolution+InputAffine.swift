import CDNALKernels

extension Convolution {
    /// A per-channel act(x * scale + shift) that a depthwise or 1x1 conv applies to its input as
    /// it reads it: the batch norm, gate and activation of the block before, whose output is then
    /// never stored. In a MobileNetV2 training step the expansion's output (6x the block's width, 75 MB
    /// per 32x32 layer at batch 128) was written by one pass and read back by the depthwise conv
    /// and its weight gradient; read through the affine, its raw conv output (kept anyway for the
    /// batch norm's backward pass) serves both, image by image from cache.
    public struct InputAffine {
        public var scale: [Float]
        public var shift: [Float]
        public var activation: FusedNormKernel.Activation
        public init(scale: [Float], shift: [Float], activation: FusedNormKernel.Activation) {
            self.scale = scale
            self.shift = shift
            self.activation = activation
        }

        /// Images [image, image + count) of `x` (`floats` per image, `channels` wide) through the
        /// affine into `buffer`: the very pass `FusedNormKernel` stores a block's output with, so
        /// the conv reads the same bits it would have read from the stored output.
        func apply(_ x: UnsafePointer<Float>, image: Int, count: Int = 1, floats: Int, channels: Int,
                   into buffer: UnsafeMutablePointer<Float>) {
            dnal_channel_affine_act(x + image * floats, count * floats / channels, Int32(channels), scale, shift,
                                    activation.rawValue, buffer, 0)
        }

        /// Where a conv reads images [image, image + count) of its input: in `x` itself without
        /// an affine, else in `buffer`, once `affine` has been applied into it.
        static func source(_ x: UnsafePointer<Float>, through affine: InputAffine?, image: Int, count: Int = 1, floats: Int,
                           channels: Int, buffer: UnsafeMutablePointer<Float>?) -> UnsafePointer<Float> {
            guard let affine, let buffer else { return x + image * floats }
            affine.apply(x, image: image, count: count, floats: floats, channels: channels, into: buffer)
            return UnsafePointer(buffer)
        }
    }

    /// `forward` of a depthwise conv whose input is `affine` applied to `x`, image by image: each
    /// worker writes an image's input into its own buffer (in cache) and runs the conv on it.
    /// Same results, bit for bit, as the affine's pass over the batch followed by `forward`.
    public static func depthwiseForward(_ g: ConvGeometry, x: UnsafePointer<Float>, through affine: InputAffine,
                                        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                        y: UnsafeMutablePointer<Float>, parallel: Parallel, workspace: Workspace) {
        precondition(g.isDepthwise && affine.scale.count == g.inChannels, "an input affine serves depthwise convs only")
        var d = depthwise(g)
        d.stream = StreamingStores.hint(floats: g.outputCount)
        let inFloats = g.inHeight * g.inWidth * g.inChannels, outFloats = g.outHeight * g.outWidth * g.outChannels
        let images = inputImageBuffers(g, parallel: parallel, workspace: workspace)
        parallel.forEachPiece(count: g.batch) { t, r in
            for image in r {
                affine.apply(x, image: image, floats: inFloats, channels: g.inChannels, into: images[t])
                dnal_dwconv_forward(&d, images[t], weight, bias, y + image * outFloats, 0, 1)
            }
        }
    }

    /// `forward` of a 1x1 conv (`pointwiseBackwardApplies`) whose input is `affine` applied to
    /// `x`, image by image as `depthwiseForward`; the same results, bit for bit, as storing the
    /// affine's output and running `forward` on it.
    public static func pointwiseForward(_ g: ConvGeometry, x: UnsafePointer<Float>, through affine: InputAffine,
                                        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                        y: UnsafeMutablePointer<Float>, parallel: Parallel, workspace: Workspace) {
        precondition(pointwiseBackwardApplies(g) && affine.scale.count == g.inChannels, "not a 1x1 conv's input affine")
        var (d, packed, _) = prepareForward(g, weight: weight, outputScale: nil, activation: .none, parallel: parallel,
                                            workspace: workspace)
        d.stream = StreamingStores.hint(floats: g.outputCount)
        d.n = 1
        let inFloats = g.inHeight * g.inWidth * g.inChannels, outFloats = g.outHeight * g.outWidth * g.outChannels
        let images = inputImageBuffers(g, parallel: parallel, workspace: workspace)
        let scratch = scratchBuffers(floats: dnal_conv_scratch_floats(&d), count: g.batch, parallel: parallel, workspace: workspace)
        parallel.forEachPiece(count: g.batch) { t, r in
            for image in r {
                affine.apply(x, image: image, floats: inFloats, channels: g.inChannels, into: images[t])
                dnal_conv_forward_rows(&d, images[t], packed, bias, y + image * outFloats, 0, Int32(g.outHeight), 0, scratch[t])
            }
        }
    }

    /// `images` images of a conv's input per worker of a loop over the batch.
    static func inputImageBuffers(_ g: ConvGeometry, images: Int = 1, parallel: Parallel,
                                  workspace: Workspace) -> [UnsafeMutablePointer<Float>] {
        let floats = images * g.inHeight * g.inWidth * g.inChannels
        return (0..<max(1, parallel.parts(count: g.batch))).map { workspace.buffer(WorkspaceSlot.inputImage($0), floats: floats) }
    }
}
