import CDNALKernels

extension Convolution {
    /// How an inference convolution is joined to the channel maps and the residual sum around it
    /// in a pruned (or plain) residual network.
    public struct Fusion: Sendable, Equatable {
        /// The conv reads channels `gather[k]` of an input with `gatherWidth` channels per pixel
        /// (a block reading part of the trunk), instead of a separate gathered tensor.
        public var gather: [Int32]?
        public var gatherWidth: Int
        /// The conv's output is added into `y`, a trunk of `residualWidth` channels per pixel, at
        /// channels `scatter[k]` (nil: all of them, in order), then `residualActivation` is
        /// applied to every trunk channel: the residual sum and its ReLU, in place.
        public var residual: Bool
        public var scatter: [Int32]?
        public var residualWidth: Int
        public var residualActivation: FusedNormKernel.Activation

        public init(gather: [Int32]? = nil, gatherWidth: Int = 0, residual: Bool = false, scatter: [Int32]? = nil,
                    residualWidth: Int = 0, residualActivation: FusedNormKernel.Activation = .none) {
            self.gather = gather
            self.gatherWidth = gatherWidth
            self.residual = residual
            self.scatter = scatter
            self.residualWidth = residualWidth
            self.residualActivation = residualActivation
        }
    }

    /// The inference forward pass of a dense (ungrouped) convolution with `fusion`: as `forward`
    /// followed by the sum, but one image at a time, so the gathered input and the branch output
    /// stay in cache and the trunk is read and written once. `g.inChannels` counts the channels
    /// the conv reads (the gathered ones).
    public static func forwardFused(_ g: ConvGeometry, fusion: Fusion, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                    bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>,
                                    outputScale: UnsafePointer<Float>? = nil,
                                    activation: FusedNormKernel.Activation = .none, parallel: Parallel, workspace: Workspace) {
        precondition(g.groups == 1, "fused convolutions are dense")
        precondition(fusion.gather.map { $0.count == g.inChannels } ?? true, "one gathered channel per input channel")
        precondition(!fusion.residual || (fusion.scatter?.count ?? fusion.residualWidth) == g.outChannels,
                     "one trunk channel per output channel")
        let (packed, _) = packForward(g, weight: weight, outputScale: outputScale, workspace: workspace)
        var d = descriptor(g, activation: activation)
        let gather = fusion.gather ?? []
        let scatter = fusion.scatter ?? []
        let parts = max(1, parallel.parts(count: g.batch))
        let scratch = (0..<parts).map { workspace.buffer(WorkspaceSlot.scratch($0), floats: dnal_conv_scratch_floats(&d)) }
        gather.withUnsafeBufferPointer { gatherIndex in
            scatter.withUnsafeBufferPointer { scatterIndex in
                var f = dnal_conv_fusion(gather: fusion.gather == nil ? nil : gatherIndex.baseAddress,
                                         gather_ld: Int32(fusion.gatherWidth), residual: fusion.residual ? 1 : 0,
                                         scatter: fusion.scatter == nil ? nil : scatterIndex.baseAddress,
                                         width: Int32(fusion.residualWidth), act: fusion.residualActivation.rawValue)
                let tiles = (0..<parts).map {
                    workspace.buffer(WorkspaceSlot.partial($0), floats: dnal_conv_fusion_tile_floats(&d, &f))
                }
                parallel.forEachChunk(count: g.batch) { t, r in
                    dnal_conv_forward_images(&d, &f, x, packed, bias, y, Int32(r.lowerBound), Int32(r.upperBound), scratch[t],
                                             tiles[t])
                }
            }
        }
    }
}
