import DNALKernels

extension Executor {
    /// The first batch-norm backward pass of a deferred block (`Step.outputDeferred`), taken by
    /// its reader's backward pass: as the reader writes the block's output gradient a few images
    /// at a time, those images' sums are added up while the block's raw output, which the
    /// reader has just read through the affine, is still in cache. The block's own backward pass
    /// then starts from these sums (`FusedNormKernel.backwardFactors(sums:)`) instead of walking
    /// its raw output and output gradient once more. Per-worker partials, added in worker order:
    /// a given thread count gives the same sums every time.
    final class DeferredSums {
        let through: Step.DeferredInput
        let channels: Int
        let partials: UnsafeMutablePointer<Double>
        let parts: Int

        init(_ through: Step.DeferredInput, channels: Int, parts: Int) {
            self.through = through
            self.channels = channels
            self.parts = parts
            partials = .allocate(capacity: parts * 2 * channels)
            partials.initialize(repeating: 0, count: parts * 2 * channels)
        }

        deinit { partials.deallocate() }

        /// The batch's sums: the workers' partials, in worker order.
        var total: [Double] {
            var sums = [Double](repeating: 0, count: 2 * channels)
            for t in 0..<parts { for i in sums.indices { sums[i] += partials[t * 2 * channels + i] } }
            return sums
        }
    }

    /// The hook a reader's backward pass calls once worker t has written images' input
    /// gradient, and the sums it fills; nil where the reader reads no deferred block or its
    /// input gradient will not be the block's whole output gradient.
    func deferredSums(_ step: Step, _ g: ConvGeometry, ready: Set<Int>) -> (DeferredSums, (Range<Int>, Int) -> Void)? {
        guard let through = step.readsThrough, step.inputs[0] != 0, !ready.contains(step.inputs[0]) else { return nil }
        let c = g.inChannels, perImage = g.inHeight * g.inWidth
        let sums = DeferredSums(through, channels: c, parts: max(1, parallel.parts(count: g.batch)))
        let dz = gradient(step.inputs[0]), x = activation(through.rawNode), saved = fusedSaved[through.node]!
        return (sums, { images, t in
            FusedNormKernel.reduce(dOutput: dz, x: x, pixels: (images.lowerBound * perImage)..<(images.upperBound * perImage),
                                   channels: c, activation: through.activation, saved: saved, into: sums.partials + t * 2 * c)
        })
    }
}
