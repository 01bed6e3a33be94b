import DNALKernels

extension Lowering {
    /// Training: a conv block whose only reader is a depthwise or 1x1 conv block (MobileNetV2's
    /// expansion and depthwise conv) never stores its output. Its batch norm still takes the
    /// batch's statistics from the raw conv output, which the block keeps for its backward pass
    /// anyway; the reader reads that raw output through the norm's affine and activation, image
    /// by image in cache, forward and for its weight gradient (`Convolution.depthwiseForward`,
    /// `pointwiseForward`). The block's own backward pass never read its output (it
    /// recomputes the activation's mask from the raw output), so nothing else needs it.
    mutating func deferOutputs(output: Int) {
        let (readers, position) = readersAndPositions()
        for i in steps.indices {
            guard case .convBlock(let reader) = steps[i].kind,
                  reader.geometry.isDepthwise || Convolution.pointwiseBackwardApplies(reader.geometry),
                  let p = position[steps[i].inputs[0]], case .convBlock(let block) = steps[p].kind,
                  steps[p].node != output, steps[p].aliasOf == nil, readers[steps[p].node] == [i] else { continue }
            steps[p].outputDeferred = true
            steps[i].readsThrough = Step.DeferredInput(node: steps[p].node, rawNode: block.convNode, activation: block.activation)
        }
    }
}
