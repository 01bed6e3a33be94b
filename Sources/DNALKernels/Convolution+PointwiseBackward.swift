import CDNALKernels

extension Convolution {
    /// Whether `pointwiseBackward` takes g: an ungrouped 1x1 conv of stride 1 without padding.
    public static func pointwiseBackwardApplies(_ g: ConvGeometry) -> Bool {
        g.kernel == 1 && g.stride == 1 && g.padding == 0 && g.groups == 1
    }

    /// dOutput bytes of one group of images (at least one image): what L2 (1 MB) keeps between
    /// `produce` writing them and both gradients reading them back, beside the x and dInput rows
    /// streaming through. 64 KB to 1 MB gave the same MobileNetV2 step; a worker's whole share of
    /// the batch as one group left the conv backward passes 10% slower.
    static let pointwiseGroupBytes = 256 * 1024

    /// Both gradients of a 1x1 conv (`pointwiseBackwardApplies`), a group of images at a time:
    /// `produce(images, rows)` first writes those images' output gradient into `rows` (the batch
    /// norm's second backward pass, `FusedNormKernel.backwardData`), a worker's buffer that stays
    /// in cache while the weight gradient and dInput (nil: not needed; overwritten, or added to
    /// with `accumulate`) read it. Run layer by layer, the output gradient (75 MB on
    /// MobileNetV2's 32x32 expansions at batch 128) went to memory once and came back twice. The
    /// weight gradient's sums run in pixel order within each worker, as `backwardWeight`'s do.
    /// With `affine`, the conv's input is `affine` applied to `x`, a group at a time into a
    /// worker's buffer, as `pointwiseForward` reads it. `inputDone(images, t)` is called by
    /// worker t once those images' dInput is written, while their x is still in cache.
    public static func pointwiseBackward(_ g: ConvGeometry, x: UnsafePointer<Float>, through affine: InputAffine? = nil,
                                         weight: UnsafePointer<Float>,
                                         dInput: UnsafeMutablePointer<Float>?, accumulate: Bool,
                                         dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?,
                                         parallel: Parallel, workspace: Workspace,
                                         produce: (Range<Int>, UnsafeMutablePointer<Float>) -> Void,
                                         inputDone: ((Range<Int>, Int) -> Void)? = nil) {
        precondition(pointwiseBackwardApplies(g), "pointwiseBackward takes ungrouped 1x1 stride-1 convs only")
        let weights = DenseWeightGradient(g, parts: parallel.parts(count: g.batch), parallel: parallel,
                                          workspace: workspace)
        let inputs = dInput.map { _ in DenseInputGradient(g, weight: weight, parallel: parallel, workspace: workspace) }
        let scratch = scratchBuffers(floats: max(weights.scratchFloats, inputs?.scratchFloats ?? 0), count: g.batch,
                                     parallel: parallel, workspace: workspace)
        let outFloats = g.outHeight * g.outWidth * g.outChannels, inFloats = g.inHeight * g.inWidth * g.inChannels
        let group = max(1, pointwiseGroupBytes / (outFloats * MemoryLayout<Float>.size))
        let buffers = (0..<max(1, parallel.parts(count: g.batch))).map {
            workspace.buffer(WorkspaceSlot.outputRows($0), floats: group * outFloats)
        }
        let inputGroups = affine == nil ? [] : inputImageBuffers(g, images: group, parallel: parallel, workspace: workspace)
        parallel.forEachChunk(count: g.batch) { t, r in
            for first in stride(from: r.lowerBound, to: r.upperBound, by: group) {
                let images = first..<min(first + group, r.upperBound)
                produce(images, buffers[t])
                // the kernels see the group as a batch of its own: its x and dInput start at its first image
                let rows = 0..<(images.count * g.outHeight)
                let xGroup = InputAffine.source(x, through: affine, image: first, count: images.count, floats: inFloats,
                                                channels: g.inChannels, buffer: inputGroups.isEmpty ? nil : inputGroups[t])
                weights.accumulate(x: xGroup, dOutput: buffers[t], bias: dBias != nil, rows: rows, worker: t,
                                   scratch: scratch[t])
                if let inputs, let dInput {
                    inputs.run(dOutput: buffers[t], dInput: dInput + first * inFloats, rows: rows, accumulate: accumulate,
                               scratch: scratch[t])
                    inputDone?(images, t)
                }
            }
        }
        weights.finish(dWeight: dWeight, dBias: dBias, parallel: parallel)
    }
}
