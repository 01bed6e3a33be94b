import CDNALKernels

extension Convolution {
    /// Consecutive residual blocks on one trunk, updated in place: each block is a pair as for
    /// `forwardPair` (the first conv reading the trunk, through its gather or whole; the second
    /// adding into it, through its scatter or whole), and each block's trunk is the previous one's.
    ///
    /// Where the kernels take every conv (`dnal_conv_chain_applies`: stride-1 convs that keep the
    /// map size, with pixels in the vector lanes. AVX-512: up to 28 outputs on rows of 16 pixels
    /// or more, up to 64 on 8x8 and 4x4 maps, unless every conv fills whole 16-channel vectors.
    /// AVX2: up to 24 outputs on rows of 16 or more or maps whose rows divide 8 lanes, where some
    /// block gathers, scatters or leaves an 8-channel vector partly empty),
    /// each trunk image runs through all the blocks with its channels as planes: a block reads the
    /// planes it names and adds its outputs into theirs, so no gather, scatter or transpose
    /// happens between blocks. Elsewhere the blocks run as pairs, one after another. Returns
    /// whether the planar chain ran.
    ///
    /// With `start`, the trunk is first written from another tensor's channels (zeros elsewhere):
    /// the planar chain writes it a few images at a time, just before it reads them.
    @discardableResult
    public static func forwardChain(_ blocks: [(first: FusedCall, second: FusedCall)], trunk: UnsafeMutablePointer<Float>,
                                    start: ChainStart? = nil, parallel: Parallel, workspace: Workspace) -> Bool {
        guard let head = blocks.first else { return false }
        let width = head.second.fusion.residualWidth
        for b in blocks {
            precondition(b.second.fusion.residual && b.second.fusion.residualWidth == width && !b.first.fusion.residual
                         && b.first.geometry.batch == head.first.geometry.batch, "blocks of one trunk")
        }
        // every conv's packed weights, one after another in one buffer
        let sizes = blocks.flatMap { [packedForwardFloats($0.first.geometry), packedForwardFloats($0.second.geometry)] }
        let packed = workspace.buffer(WorkspaceSlot.packedChain, floats: sizes.reduce(0, +))
        var offsets: [Int] = [], offset = 0
        for (k, b) in blocks.enumerated() {
            for (j, call) in [b.first, b.second].enumerated() {
                offsets.append(offset)
                _ = packForward(call.geometry, weight: call.weight, outputScale: call.outputScale, into: packed + offset)
                offset += sizes[2 * k + j]
            }
        }
        let ran = withKernelFusions(blocks.flatMap { [$0.first, $0.second] }, []) { fusions in
            let chain = blocks.indices.map { k in
                dnal_chain_block(d1: descriptor(blocks[k].first.geometry, activation: blocks[k].first.activation),
                                 d2: descriptor(blocks[k].second.geometry, activation: blocks[k].second.activation),
                                 f1: fusions[2 * k], f2: fusions[2 * k + 1],
                                 w1: packed + offsets[2 * k], b1: blocks[k].first.bias,
                                 w2: packed + offsets[2 * k + 1], b2: blocks[k].second.bias)
            }
            return chain.withUnsafeBufferPointer { c in
                let count = Int32(c.count), w = Int32(width)
                guard parallel.onCaller({ dnal_conv_chain_applies(c.baseAddress, count, w) }) != 0 else { return false }
                let floats = dnal_conv_chain_tile_floats(c.baseAddress, count, w)
                let batch = head.first.geometry.batch
                let tiles = (0..<max(1, parallel.parts(count: batch))).map {
                    workspace.buffer(WorkspaceSlot.partial($0), floats: floats)
                }
                return (start?.index ?? []).withUnsafeBufferPointer { index in
                    var from = dnal_chain_start(x: start?.source, ldx: Int32(start?.ld ?? 0), count: Int32(index.count),
                                                index: index.baseAddress, group: Int32(start?.group ?? 0))
                    return withUnsafePointer(to: &from) { p in
                        let first = start == nil ? nil : p
                        parallel.forEachPiece(count: batch) { t, r in
                            dnal_conv_chain_forward_images(c.baseAddress, count, w, trunk, Int32(r.lowerBound), Int32(r.upperBound),
                                                           tiles[t], first)
                        }
                        return true
                    }
                }
            }
        }
        if !ran {
            if let start {
                let pixels = head.second.geometry.batch * head.second.geometry.outHeight * head.second.geometry.outWidth
                TensorOps.sum([TensorOps.SumInput(start.source, ld: start.ld, index: start.index)], pixels: pixels,
                              width: width, activation: .none, into: trunk, parallel: parallel)
            }
            for b in blocks { forwardPair(b.first, b.second, x: trunk, y: trunk, parallel: parallel, workspace: workspace) }
        }
        return ran
    }

    /// Where a chain's trunk starts (`dnal_chain_start`): channel k of `source` (`ld` floats per
    /// pixel) at trunk channel index[k], zeros in the others; written `group` images ahead of
    /// the chain at a time (0: as many as fit half of a 1 MB L2).
    public struct ChainStart {
        public var source: UnsafePointer<Float>
        public var ld: Int
        public var index: [Int32]
        public var group: Int

        public init(source: UnsafePointer<Float>, ld: Int, index: [Int32], group: Int = 0) {
            self.source = source
            self.ld = ld
            self.index = index
            self.group = group
        }
    }

    /// Every call's kernel fusion, alive during `body`.
    private static func withKernelFusions<R>(_ calls: [FusedCall], _ done: [dnal_conv_fusion], _ body: ([dnal_conv_fusion]) -> R) -> R {
        guard let call = calls.first else { return body(done) }
        return call.withKernelFusion { f in withKernelFusions(Array(calls.dropFirst()), done + [f], body) }
    }
}
