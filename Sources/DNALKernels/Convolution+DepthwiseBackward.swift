import CDNALKernels

extension Convolution {
    /// Both gradients of a depthwise conv, image by image: `produce(images)` first writes those
    /// images' dOutput (the batch norm's second backward pass, `FusedNormKernel.backwardData`),
    /// then the weight gradient and dInput (overwritten; nil: not needed) read it while it is
    /// still in cache. Run layer by layer, dOutput (75 MB on MobileNetV2's 32x32 layers at batch
    /// 128) went to memory once and came back twice. Same sums, in the same order, as
    /// `backwardWeight` and `backwardInput`.
    public static func depthwiseBackward(_ g: ConvGeometry, x: UnsafePointer<Float>, dOutput: UnsafeMutablePointer<Float>,
                                         weight: UnsafePointer<Float>, dInput: UnsafeMutablePointer<Float>?,
                                         dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?,
                                         parallel: Parallel, workspace: Workspace, produce: (Range<Int>) -> Void) {
        precondition(g.isDepthwise, "depthwiseBackward takes depthwise convs only")
        var d = depthwise(g)
        d.stream = StreamingStores.hint(floats: g.inputCount)
        // stride 1: dInput is the forward kernel over dOutput with the flipped filters
        let gradientAsForward = depthwiseGradientAsForward(g, weight: weight, workspace: workspace)
        var forwardOfGradient = gradientAsForward?.1 ?? dnal_dwconv()
        let size = g.weightCount + g.outChannels
        let partials = (0..<parallel.parts(count: g.batch)).map { workspace.buffer(WorkspaceSlot.partial($0), floats: size) }
        for p in partials { p.initialize(repeating: 0, count: size) }
        parallel.forEachChunk(count: g.batch) { t, r in
            for image in r {
                let n0 = Int32(image), n1 = Int32(image + 1)
                produce(image..<(image + 1))
                dnal_dwconv_backward_weight(&d, x, dOutput, partials[t], dBias == nil ? nil : partials[t] + g.weightCount, n0, n1)
                guard let dInput else { continue }
                if let flipped = gradientAsForward?.0 {
                    dnal_dwconv_forward(&forwardOfGradient, dOutput, flipped, nil, dInput, n0, n1)
                } else {
                    dnal_dwconv_backward_data(&d, dOutput, weight, dInput, n0, n1)
                }
            }
        }
        for p in partials {
            dnal_add(dWeight, p, g.weightCount, dWeight)
            if let dBias { dnal_add(dBias, p + g.weightCount, g.outChannels, dBias) }
        }
    }
}
