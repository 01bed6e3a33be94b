import CDNALKernels

extension Convolution {
    /// One inference depthwise convolution with its batch norm and gate folded in: the weights
    /// are scaled per channel by `outputScale`, `bias` is added and `activation` applied in the
    /// store.
    public struct DepthwiseCall {
        public var geometry: ConvGeometry
        public var weight: UnsafePointer<Float>
        public var bias: UnsafePointer<Float>?
        public var outputScale: UnsafePointer<Float>?
        public var activation: FusedNormKernel.Activation

        public init(_ geometry: ConvGeometry, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                    outputScale: UnsafePointer<Float>? = nil, activation: FusedNormKernel.Activation = .none) {
            precondition(geometry.isDepthwise, "a depthwise convolution")
            self.geometry = geometry
            self.weight = weight
            self.bias = bias
            self.outputScale = outputScale
            self.activation = activation
        }
    }

    /// An inverted-residual block (MobileNetV2's expansion, depthwise and projection convs) for
    /// inference, a group of images at a time (`dnal_inverted_residual_group`: one 32x32 image,
    /// several small ones): the expanded tensor and the depthwise output never exist for the whole
    /// batch, only the group's, which stays in cache between the three convs (batch-wide they are
    /// 6x the block's width and went to memory and back twice). `y` is the projection's output,
    /// or its trunk with a residual fusion.
    public static func forwardInvertedResidual(_ expand: FusedCall, _ depthwise: DepthwiseCall, _ project: FusedCall,
                                               x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                                               parallel: Parallel, workspace: Workspace) {
        let g1 = expand.geometry, gd = depthwise.geometry, g3 = project.geometry
        precondition(g1.batch == gd.batch && gd.batch == g3.batch && !expand.fusion.residual && project.fusion.gather == nil
                     && g1.outChannels == gd.inChannels && g1.outHeight == gd.inHeight && g1.outWidth == gd.inWidth
                     && gd.outChannels == g3.inChannels && gd.outHeight == g3.inHeight && gd.outWidth == g3.inWidth,
                     "each conv reads the previous one's whole output")
        var (d1, w1, _) = prepareForward(g1, weight: expand.weight, outputScale: expand.outputScale,
                                         activation: expand.activation, parallel: parallel, workspace: workspace)
        var (d3, w3, _) = prepareForward(g3, weight: project.weight, outputScale: project.outputScale,
                                         activation: project.activation, parallel: parallel, workspace: workspace,
                                         slot: WorkspaceSlot.packedWeightsSecond)
        let wd = scaledDepthwise(gd, weight: depthwise.weight, outputScale: depthwise.outputScale, workspace: workspace,
                                 slot: WorkspaceSlot.packedDepthwise)
        var dd = Convolution.depthwise(gd)
        dd.act = depthwise.activation.rawValue
        let parts = max(1, parallel.parts(count: g1.batch))
        let mid = dnal_inverted_residual_mid_floats(&d1, &dd)
        expand.withKernelFusion { f1 in
            project.withKernelFusion { f3 in
                let t1 = dnal_conv_fusion_tile_floats(&d1, &f1), t3 = dnal_conv_fusion_tile_floats(&d3, &f3)
                let scratch = scratchBuffers(floats: max(dnal_conv_scratch_floats(&d1), dnal_conv_scratch_floats(&d3)),
                                             count: g1.batch, parallel: parallel, workspace: workspace)
                let tiles = (0..<parts).map { workspace.buffer(WorkspaceSlot.partial($0), floats: t1 + mid + t3 + 16) }
                // images claimed in pieces: tiles and scratch are per worker, outputs per image
                parallel.forEachPiece(count: g1.batch) { t, r in
                    let tile = tiles[t]
                    dnal_inverted_residual_forward_images(&d1, &f1, w1, expand.bias, &dd, wd, depthwise.bias, &d3, &f3, w3,
                                                          project.bias, x, y, Int32(r.lowerBound), Int32(r.upperBound),
                                                          scratch[t], tile, tile + t1, tile + t1 + mid)
                }
            }
        }
    }

    /// Depthwise weights `[K][K][C]` multiplied per channel by `outputScale` (a folded batch norm
    /// and gate) into workspace `slot`; the weights themselves when there is no scale.
    static func scaledDepthwise(_ g: ConvGeometry, weight: UnsafePointer<Float>, outputScale: UnsafePointer<Float>?,
                                workspace: Workspace, slot: Int) -> UnsafePointer<Float> {
        guard let outputScale else { return weight }
        let scaled = workspace.buffer(slot, floats: g.weightCount)
        for t in 0..<(g.kernel * g.kernel) {
            for c in 0..<g.outChannels { scaled[t * g.outChannels + c] = weight[t * g.outChannels + c] * outputScale[c] }
        }
        return UnsafePointer(scaled)
    }
}
