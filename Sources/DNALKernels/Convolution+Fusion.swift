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

    /// One inference convolution with what is folded into it: batch norm and gate as
    /// `outputScale` and `bias`, its activation, and its `fusion`.
    public struct FusedCall {
        public var geometry: ConvGeometry
        public var fusion: Fusion
        public var weight: UnsafePointer<Float>
        public var bias: UnsafePointer<Float>?
        public var outputScale: UnsafePointer<Float>?
        public var activation: FusedNormKernel.Activation

        public init(_ geometry: ConvGeometry, fusion: Fusion, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                    outputScale: UnsafePointer<Float>? = nil, activation: FusedNormKernel.Activation = .none) {
            precondition(geometry.groups == 1, "fused convolutions are dense")
            precondition(fusion.gather.map { $0.count == geometry.inChannels } ?? true, "one gathered channel per input channel")
            precondition(!fusion.residual || (fusion.scatter?.count ?? fusion.residualWidth) == geometry.outChannels,
                         "one trunk channel per output channel")
            self.geometry = geometry
            self.fusion = fusion
            self.weight = weight
            self.bias = bias
            self.outputScale = outputScale
            self.activation = activation
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
        let call = FusedCall(g, fusion: fusion, weight: weight, bias: bias, outputScale: outputScale, activation: activation)
        var (d, packed, _) = prepareForward(g, weight: weight, outputScale: outputScale, activation: activation,
                                            parallel: parallel, workspace: workspace)
        let parts = max(1, parallel.parts(count: g.batch))
        call.withKernelFusion { f in
            let scratch = scratchBuffers(floats: dnal_conv_scratch_floats(&d), count: g.batch, parallel: parallel, workspace: workspace)
            let tiles = (0..<parts).map { workspace.buffer(WorkspaceSlot.partial($0), floats: dnal_conv_fusion_tile_floats(&d, &f)) }
            parallel.forEachPiece(count: g.batch) { t, r in
                dnal_conv_forward_images(&d, &f, x, packed, bias, y, Int32(r.lowerBound), Int32(r.upperBound), scratch[t], tiles[t])
            }
        }
    }

    /// Two inference convolutions in a row, the second reading only the first's output: run
    /// image by image (a few at a time on maps too small for one image to fill a Winograd pass,
    /// `dnal_conv_pair_group`), so that output never exists for the whole batch and it, and the
    /// trunk the second one adds into, stay in cache between them. `y` is the second one's output (its
    /// trunk with a residual fusion).
    public static func forwardPair(_ first: FusedCall, _ second: FusedCall, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                                   parallel: Parallel, workspace: Workspace) {
        let g1 = first.geometry, g2 = second.geometry
        precondition(g1.batch == g2.batch && g1.outChannels == g2.inChannels && second.fusion.gather == nil
                     && g1.outHeight == g2.inHeight && g1.outWidth == g2.inWidth && !first.fusion.residual,
                     "the second conv reads the first one's whole output")
        var (d1, w1, _) = prepareForward(g1, weight: first.weight, outputScale: first.outputScale, activation: first.activation,
                                         parallel: parallel, workspace: workspace)
        var (d2, w2, _) = prepareForward(g2, weight: second.weight, outputScale: second.outputScale,
                                         activation: second.activation, parallel: parallel, workspace: workspace,
                                         slot: WorkspaceSlot.packedWeightsSecond)
        let parts = max(1, parallel.parts(count: g1.batch))
        let mid = dnal_conv_pair_mid_floats(&d1)
        first.withKernelFusion { f1 in
            second.withKernelFusion { f2 in
                let group = Int(dnal_conv_pair_group(&d1, &f1, &d2, &f2))
                let t1 = group * dnal_conv_fusion_tile_floats(&d1, &f1), t2 = group * dnal_conv_fusion_tile_floats(&d2, &f2)
                let mid = group * mid
                let scratch = scratchBuffers(floats: max(dnal_conv_scratch_floats(&d1), dnal_conv_scratch_floats(&d2)),
                                             count: g1.batch, parallel: parallel, workspace: workspace)
                let tiles = (0..<parts).map { workspace.buffer(WorkspaceSlot.partial($0), floats: t1 + mid + t2 + 16) }
                parallel.forEachPiece(count: g1.batch) { t, r in
                    let tile = tiles[t]
                    dnal_conv_pair_forward_images(&d1, &f1, w1, first.bias, &d2, &f2, w2, second.bias, x, y, Int32(r.lowerBound),
                                                  Int32(r.upperBound), scratch[t], tile, tile + t1, tile + t1 + mid)
                }
            }
        }
    }
}

extension Convolution.FusedCall {
    /// Calls `body` with the kernels' view of the fusion (its index lists pinned for the call).
    func withKernelFusion<R>(_ body: (inout dnal_conv_fusion) -> R) -> R {
        let gather = fusion.gather ?? [], scatter = fusion.scatter ?? []
        return gather.withUnsafeBufferPointer { g in
            scatter.withUnsafeBufferPointer { s in
                var f = dnal_conv_fusion(gather: fusion.gather == nil ? nil : g.baseAddress, gather_ld: Int32(fusion.gatherWidth),
                                         residual: fusion.residual ? 1 : 0, scatter: fusion.scatter == nil ? nil : s.baseAddress,
                                         width: Int32(fusion.residualWidth), act: fusion.residualActivation.rawValue)
                return body(&f)
            }
        }
    }
}
