import CDNALKernels

extension Convolution {
    /// Both gradients of a depthwise conv, image by image, as `pointwiseBackward` runs groups of
    /// images: `produce(images, rows)` first writes an image's output gradient into `rows` (the
    /// batch norm's second backward pass, `FusedNormKernel.backwardData`), a worker's buffer that
    /// stays in cache while the weight gradient and dInput (overwritten; nil: not needed) read it.
    /// Run layer by layer, the output gradient (75 MB on MobileNetV2's 32x32 layers at batch 128)
    /// went to memory once and came back twice. Same sums, in the same order, as `backwardWeight`
    /// and `backwardInput`. With `affine`, the conv's input is `affine` applied to `x`, image by
    /// image into a worker's buffer, as `depthwiseForward` reads it.
    public static func depthwiseBackward(_ g: ConvGeometry, x: UnsafePointer<Float>, through affine: InputAffine? = nil,
                                         weight: UnsafePointer<Float>,
                                         dInput: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>,
                                         dBias: UnsafeMutablePointer<Float>?, parallel: Parallel, workspace: Workspace,
                                         produce: (Range<Int>, UnsafeMutablePointer<Float>) -> Void,
                                         inputDone: ((Range<Int>, Int) -> Void)? = nil) {
        precondition(g.isDepthwise, "depthwiseBackward takes depthwise convs only")
        var d = depthwise(g)
        d.stream = StreamingStores.hint(floats: g.inputCount)
        // stride 1: dInput is the forward kernel over dOutput with the flipped filters
        let gradientAsForward = depthwiseGradientAsForward(g, weight: weight, workspace: workspace)
        var forwardOfGradient = gradientAsForward?.1 ?? dnal_dwconv()
        let size = g.weightCount + g.outChannels
        let parts = max(1, parallel.parts(count: g.batch))
        let partials = (0..<parts).map { workspace.buffer(WorkspaceSlot.partial($0), floats: size) }
        for p in partials { p.initialize(repeating: 0, count: size) }
        let outFloats = g.outHeight * g.outWidth * g.outChannels, inFloats = g.inHeight * g.inWidth * g.inChannels
        let buffers = (0..<parts).map { workspace.buffer(WorkspaceSlot.outputRows($0), floats: outFloats) }
        let images = affine == nil ? [] : inputImageBuffers(g, parallel: parallel, workspace: workspace)
        parallel.forEachChunk(count: g.batch) { t, r in
            for image in r {
                produce(image..<(image + 1), buffers[t])
                // the kernels see the image as a batch of its own: its x and dInput start at it
                let xImage = InputAffine.source(x, through: affine, image: image, floats: inFloats, channels: g.inChannels,
                                                buffer: images.isEmpty ? nil : images[t])
                dnal_dwconv_backward_weight(&d, xImage, buffers[t], partials[t], dBias == nil ? nil : partials[t] + g.weightCount, 0, 1)
                guard let dInput else { continue }
                if let flipped = gradientAsForward?.0 {
                    dnal_dwconv_forward(&forwardOfGradient, buffers[t], flipped, nil, dInput + image * inFloats, 0, 1)
                } else {
                    dnal_dwconv_backward_data(&d, buffers[t], weight, dInput + image * inFloats, 0, 1)
                }
                inputDone?(image..<(image + 1), t)
            }
        }
        for p in partials {
            dnal_add(dWeight, p, g.weightCount, dWeight)
            if let dBias { dnal_add(dBias, p + g.weightCount, g.outChannels, dBias) }
        }
    }
}
