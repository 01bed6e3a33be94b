import CDNALKernels

/// Convolution over NHWC tensors (dense, grouped and depthwise), and linear layers as 1x1
/// convolutions. Weights are `[K][K][Ci/groups][Co]`; gradients accumulate (`+=`).
public enum Convolution {
    static func roundUp(_ x: Int) -> Int { (x + Int(DNAL_CHANNEL_BLOCK) - 1) / Int(DNAL_CHANNEL_BLOCK) * Int(DNAL_CHANNEL_BLOCK) }

    /// y[N,Ho,Wo,Co] = act(conv(x[N,H,W,Ci], weight[K,K,Ci/g,Co] * outputScale[Co]) + bias[Co])
    ///
    /// `outputScale` and `activation` fold an inference-mode batch norm (and gate) and the
    /// activation into the conv: the scale goes into the packed weights, the activation into the
    /// microkernel's store, so the output is written once.
    public static func forward(_ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                               bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>,
                               outputScale: UnsafePointer<Float>? = nil, activation: FusedNormKernel.Activation = .none,
                               parallel: Parallel, workspace: Workspace) {
        if g.isDepthwise {
            var d = depthwise(g)
            d.act = activation.rawValue
            d.stream = StreamingStores.hint(floats: g.batch * g.outHeight * g.outWidth * g.outChannels)
            let w = scaledDepthwise(g, weight: weight, outputScale: outputScale, workspace: workspace, slot: WorkspaceSlot.packedWeights)
            parallel.forEachPiece(count: g.batch) { _, r in
                dnal_dwconv_forward(&d, x, w, bias, y, Int32(r.lowerBound), Int32(r.upperBound))
            }
            return
        }
        var (d, packed, perGroup) = prepareForward(g, weight: weight, outputScale: outputScale, activation: activation,
                                                   parallel: parallel, workspace: workspace)
        d.stream = StreamingStores.hint(floats: g.outputCount)
        let rows = g.batch * g.outHeight
        let scratch = scratchBuffers(floats: dnal_conv_scratch_floats(&d), count: rows, parallel: parallel, workspace: workspace)
        parallel.forEachPiece(count: rows, align: g.outHeight) { t, r in
            for grp in 0..<g.groups {
                dnal_conv_forward_rows(&d, x + grp * g.inPerGroup, packed + grp * perGroup, bias.map { $0 + grp * g.outPerGroup },
                                       y + grp * g.outPerGroup, Int32(r.lowerBound), Int32(r.upperBound), 0, scratch[t])
            }
        }
    }

    /// The forward kernels' view of one call: the descriptor, the weights packed for the
    /// microkernel (`[group][kh][kw][cin][ldw]`, scaled per output channel by `outputScale`) in
    /// workspace `slot`, and the floats per group. Where the kernels of `parallel` run the conv as
    /// Winograd (`winogradTile`), the transformed weights follow the packed ones in the slot and
    /// the descriptor points at them.
    static func prepareForward(_ g: ConvGeometry, weight: UnsafePointer<Float>, outputScale: UnsafePointer<Float>?,
                               activation: FusedNormKernel.Activation, parallel: Parallel, workspace: Workspace,
                               slot: Int = WorkspaceSlot.packedWeights) -> (dnal_conv, UnsafeMutablePointer<Float>, Int) {
        var d = descriptor(g, activation: activation)
        let derived = DerivedWeights(d, groups: g.groups, parallel: parallel)
        let direct = packedForwardFloats(g)
        let packed = workspace.buffer(slot, floats: direct + derived.floats)
        let perGroup = packForward(g, weight: weight, outputScale: outputScale, into: packed, parallel: parallel)
        derived.attach(&d, packed: packed, room: packed + direct, parallel: parallel)
        return (d, packed, perGroup)
    }

    /// Floats of the weights `packForward` packs (without a Winograd transform).
    static func packedForwardFloats(_ g: ConvGeometry) -> Int {
        g.kernel * g.kernel * g.inPerGroup * roundUp(g.outPerGroup) * g.groups
    }

    /// The weights packed for the forward microkernel into `packed`; returns the floats per group.
    static func packForward(_ g: ConvGeometry, weight: UnsafePointer<Float>, outputScale: UnsafePointer<Float>?,
                            into packed: UnsafeMutablePointer<Float>, parallel: Parallel? = nil) -> Int {
        packWeights(g, weight: weight, outputScale: outputScale, transposeFlip: false, into: packed, parallel: parallel)
    }

    /// Every group's weights packed into `packed` (`dnal_pack_conv_weights_taps`: scaled per
    /// output channel by `outputScale`, or transposed and flipped for the input gradient), the
    /// taps shared out over `parallel` from `Parallel.sharedPassFloats`; returns the floats per group.
    static func packWeights(_ g: ConvGeometry, weight: UnsafePointer<Float>, outputScale: UnsafePointer<Float>?,
                            transposeFlip: Bool, into packed: UnsafeMutablePointer<Float>, parallel: Parallel?) -> Int {
        let rows = transposeFlip ? g.outPerGroup : g.inPerGroup, ldw = roundUp(transposeFlip ? g.inPerGroup : g.outPerGroup)
        let taps = g.kernel * g.kernel, perGroup = taps * rows * ldw
        let pack = { (grp: Int, range: Range<Int>) in
            dnal_pack_conv_weights_taps(weight, Int32(g.kernel), Int32(g.kernel), Int32(g.inPerGroup), Int32(g.outChannels),
                                        Int32(g.groups), Int32(grp), transposeFlip ? 1 : 0, Int32(ldw), outputScale,
                                        Int32(range.lowerBound), Int32(range.upperBound), packed + grp * perGroup)
        }
        if let parallel, taps > 1, perGroup * g.groups >= Parallel.sharedPassFloats {
            for grp in 0..<g.groups { parallel.forEachChunk(count: taps) { _, r in pack(grp, r) } }
        } else {
            for grp in 0..<g.groups { pack(grp, 0..<taps) }
        }
        return perGroup
    }

    /// The kernel's description of one group of the forward convolution.
    static func descriptor(_ g: ConvGeometry, activation: FusedNormKernel.Activation) -> dnal_conv {
        dnal_conv(n: Int32(g.batch), hin: Int32(g.inHeight), win: Int32(g.inWidth), cin: Int32(g.inPerGroup),
                  ldx: Int32(g.inChannels), hout: Int32(g.outHeight), wout: Int32(g.outWidth),
                  cout: Int32(g.outPerGroup), ldy: Int32(g.outChannels), kh: Int32(g.kernel), kw: Int32(g.kernel),
                  stride: Int32(g.stride), pad_top: Int32(g.padding), pad_left: Int32(g.padding), dilate: 1,
                  ldw: Int32(roundUp(g.outPerGroup)), act: activation.rawValue, stream: 0, winograd: nil, panels: nil, panels_of: nil, panel_width: 0)
    }

    /// dInput[N,H,W,Ci] = transposed conv(dOutput[N,Ho,Wo,Co], weight), overwritten, or with
    /// `accumulate` added to what dInput holds in the kernel's store (not for depthwise convs:
    /// `backwardInputAccumulates`).
    public static func backwardInput(_ g: ConvGeometry, dOutput: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                     dInput: UnsafeMutablePointer<Float>, accumulate: Bool = false, parallel: Parallel,
                                     workspace: Workspace) {
        precondition(!accumulate || backwardInputAccumulates(g), "a depthwise gradient overwrites its input's")
        if g.isDepthwise {
            if let (flipped, forwardOfGradient) = depthwiseGradientAsForward(g, weight: weight, workspace: workspace) {
                var d = forwardOfGradient
                parallel.forEachPiece(count: g.batch) { _, r in
                    dnal_dwconv_forward(&d, dOutput, flipped, nil, dInput, Int32(r.lowerBound), Int32(r.upperBound))
                }
                return
            }
            var d = depthwise(g)
            d.stream = StreamingStores.hint(floats: g.inputCount)
            parallel.forEachPiece(count: g.batch) { _, r in
                dnal_dwconv_backward_data(&d, dOutput, weight, dInput, Int32(r.lowerBound), Int32(r.upperBound))
            }
            return
        }
        let gradient = DenseInputGradient(g, weight: weight, parallel: parallel, workspace: workspace)
        let rows = g.batch * g.inHeight
        let scratch = scratchBuffers(floats: gradient.scratchFloats, count: rows, parallel: parallel, workspace: workspace)
        parallel.forEachPiece(count: rows, align: g.inHeight) { t, r in
            gradient.run(dOutput: dOutput, dInput: dInput, rows: r, accumulate: accumulate, scratch: scratch[t])
        }
    }

    /// Whether `backwardInput` can add into its output rather than overwrite it.
    public static func backwardInputAccumulates(_ g: ConvGeometry) -> Bool { !g.isDepthwise }

    /// dWeight[K,K,Ci/g,Co] += sum x-patch (outer) dOutput;  dBias[Co] += sum dOutput
    public static func backwardWeight(_ g: ConvGeometry, x: UnsafePointer<Float>, dOutput: UnsafePointer<Float>,
                                      dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?,
                                      parallel: Parallel, workspace: Workspace) {
        let parts = parallel.parts(count: g.isDepthwise ? g.batch : g.batch * g.outHeight)
        if g.isDepthwise {
            var d = depthwise(g)
            let size = g.weightCount + g.outChannels
            let partials = (0..<parts).map { workspace.buffer(WorkspaceSlot.partial($0), floats: size) }
            for p in partials { p.initialize(repeating: 0, count: size) }
            parallel.forEachChunk(count: g.batch) { t, r in
                dnal_dwconv_backward_weight(&d, x, dOutput, partials[t], dBias == nil ? nil : partials[t] + g.weightCount,
                                            Int32(r.lowerBound), Int32(r.upperBound))
            }
            for p in partials {
                dnal_add(dWeight, p, g.weightCount, dWeight)
                if let dBias { dnal_add(dBias, p + g.weightCount, g.outChannels, dBias) }
            }
            return
        }
        let gradient = DenseWeightGradient(g, parts: parts, parallel: parallel, workspace: workspace)
        let rows = g.batch * g.outHeight
        let scratch = scratchBuffers(floats: gradient.scratchFloats, count: rows, parallel: parallel, workspace: workspace)
        parallel.forEachChunk(count: rows) { t, r in
            gradient.accumulate(x: x, dOutput: dOutput, bias: dBias != nil, rows: r, worker: t, scratch: scratch[t])
        }
        gradient.finish(dWeight: dWeight, dBias: dBias, parallel: parallel)
    }

    /// Stride 1: a depthwise conv's input gradient is a depthwise conv of dy with the flipped
    /// filters, padded by K-1-p, so the (gathering, register-tiled) forward kernel serves. The
    /// flipped filters (in workspace's packed-weights slot) and that conv's descriptor, whose
    /// output streams past the caches when large; nil where the padding exceeds K-1.
    static func depthwiseGradientAsForward(_ g: ConvGeometry, weight: UnsafePointer<Float>,
                                           workspace: Workspace) -> (UnsafeMutablePointer<Float>, dnal_dwconv)? {
        guard g.stride == 1 && g.padding <= g.kernel - 1 else { return nil }
        let k = g.kernel, c = g.inChannels
        let flipped = workspace.buffer(WorkspaceSlot.packedWeights, floats: k * k * c)
        for t in 0..<(k * k) { (flipped + t * c).update(from: weight + (k * k - 1 - t) * c, count: c) }
        let d = dnal_dwconv(n: Int32(g.batch), hin: Int32(g.outHeight), win: Int32(g.outWidth), c: Int32(c),
                            hout: Int32(g.inHeight), wout: Int32(g.inWidth), kh: Int32(k), kw: Int32(k), stride: 1,
                            pad_top: Int32(k - 1 - g.padding), pad_left: Int32(k - 1 - g.padding), act: 0,
                            stream: StreamingStores.hint(floats: g.inputCount))
        return (flipped, d)
    }

    static func depthwise(_ g: ConvGeometry) -> dnal_dwconv {
        dnal_dwconv(n: Int32(g.batch), hin: Int32(g.inHeight), win: Int32(g.inWidth), c: Int32(g.inChannels),
                    hout: Int32(g.outHeight), wout: Int32(g.outWidth), kh: Int32(g.kernel), kw: Int32(g.kernel),
                    stride: Int32(g.stride), pad_top: Int32(g.padding), pad_left: Int32(g.padding), act: 0, stream: 0)
    }

    /// One scratch buffer of `floats` per worker of a loop over `count` items (bands, row rings),
    /// reserved before the parallel region.
    static func scratchBuffers(floats: Int, count: Int, parallel: Parallel, workspace: Workspace) -> [UnsafeMutablePointer<Float>] {
        (0..<max(1, parallel.parts(count: count))).map { workspace.buffer(WorkspaceSlot.scratch($0), floats: floats) }
    }
}
