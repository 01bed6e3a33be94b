import CDNALKernels

extension Convolution {
    /// An inference convolution followed by the max pool that alone reads it (a VGG stage's last
    /// conv and its 2x2 pool), a group of images at a time: the group's conv output is written to
    /// a tile that stays in cache for the pool, so the full-resolution output never exists for
    /// the whole batch and is neither written to nor read back from memory. `y` is the pool's
    /// output; `pool` is its geometry over the conv's output (at the same batch).
    public static func forwardPooled(_ call: FusedCall, pool: PoolKernel.Geometry, x: UnsafePointer<Float>,
                                     y: UnsafeMutablePointer<Float>, parallel: Parallel, workspace: Workspace) {
        let g = call.geometry
        precondition(call.fusion == Fusion(), "a pooled conv reads its whole input and writes its own output")
        precondition(pool.batch == g.batch && pool.height == g.outHeight && pool.width == g.outWidth
                     && pool.channels == g.outChannels, "the pool reads the conv's whole output")
        var (d, packed, _) = prepareForward(g, weight: call.weight, outputScale: call.outputScale, activation: call.activation,
                                            parallel: parallel, workspace: workspace)
        let parts = max(1, parallel.parts(count: g.batch))
        let imageIn = g.inHeight * g.inWidth * g.inChannels, imageOut = g.outHeight * g.outWidth * g.outChannels
        let pooled = pool.outHeight * pool.outWidth * pool.channels
        // a conv whose blocks of pixels each stream its heavy weights (VGG16's conv10, 512 -> 512
        // on 4x4) pools its worker's whole share at once: groups of 8 images left tap classes of 8
        // pixels, and conv10 took 70.3 ms pooled against 62.0 for conv9, the same conv unpooled
        let heavy = dnal_conv_blocks_stream_heavy_weights(&d) != 0
        let group = heavy ? (g.batch + parts - 1) / parts : pooledGroup(imageFloats: imageOut)
        let scratch = scratchBuffers(floats: dnal_conv_scratch_floats(&d), count: g.batch, parallel: parallel, workspace: workspace)
        let tiles = (0..<parts).map {
            workspace.buffer(WorkspaceSlot.partial($0), floats: group * imageOut + 16)
        }
        // each image's outputs are its own: the images are claimed in pieces; where the weights
        // are heavy, pieces of at least a worker's share (each one group, as `group` says)
        parallel.forEachPiece(count: g.batch, grain: heavy ? g.batch / parts : 1) { t, r in
            for n in stride(from: r.lowerBound, to: r.upperBound, by: group) {
                // `count` images as a batch of their own: the conv's rows of those images, then the pool's
                let count = min(group, r.upperBound - n)
                var some = d, window = pool.raw
                some.n = Int32(count)
                window.n = Int32(count)
                dnal_conv_forward_rows(&some, x + n * imageIn, packed, call.bias, tiles[t], 0, Int32(count * g.outHeight), 0,
                                       scratch[t])
                dnal_maxpool_forward(&window, tiles[t], y + n * pooled, nil, 0, Int32(count))
            }
        }
    }

    /// Images per pass of `forwardPooled`: as many as keep their conv output within 256 KB (half
    /// of a Zen 4 core's L2), at least one. One image at a time re-read a small map's weights
    /// (850 KB for a 154 -> 154 3x3 layer at 4x4) for every 16 outputs: 1.8x the unfused time.
    static func pooledGroup(imageFloats: Int) -> Int {
        max(1, (256 * 1024) / (MemoryLayout<Float>.size * max(1, imageFloats)))
    }
}
