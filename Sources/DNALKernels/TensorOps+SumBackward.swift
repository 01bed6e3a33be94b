import CDNALKernels

extension TensorOps {
    /// Channels taken out of a sum as it is computed: `index.count` channels per pixel, pixel
    /// stride `ld`, channel k from the sum's channel `index[k]` (a gather of the sum, or a
    /// scattered branch's share of its gradient).
    public struct ChannelGather {
        public var pointer: UnsafeMutablePointer<Float>
        public var ld: Int
        public var index: [Int32]

        public init(_ pointer: UnsafeMutablePointer<Float>, ld: Int, index: [Int32]) {
            self.pointer = pointer
            self.ld = ld
            self.index = index
        }
    }

    /// The activation's slope bits of `y` (`pixels` rows of `width`): bit i of word
    /// `p * ceil(width / 16) + j` is 1 where channel 16 j + i has slope 1 (y > 0, and y < 6 for
    /// relu6; never for NaN). What `sum(slopeMask:)` leaves for `sumScatterBackward`.
    public static func slopeMask(_ y: UnsafePointer<Float>, pixels: Int, width: Int, activation: FusedNormKernel.Activation,
                                 into mask: UnsafeMutablePointer<UInt16>, parallel: Parallel) {
        let groups = (width + 15) / 16
        parallel.forEachPiece(count: pixels, grain: 1024) { _, r in
            dnal_slope_mask(y + r.lowerBound * width, r.count, Int32(width), activation.rawValue, mask + r.lowerBound * groups)
        }
    }

    /// The gradient through a residual end `y = act(trunk + scatter(branch))`, in one pass over
    /// the trunk's `width` channels per pixel:
    /// `dSum = act'(y) * (dy + scatter(pending))` and `branch = gather(dSum)`, the slopes read from
    /// the bits `sum(slopeMask:)` left (required with an activation).
    /// `pending` is a gradient a gather of `y` computed but did not add into `dy` (its reader's
    /// share); `branch` is a scattered input's gradient. Both are optional. `dSum` may be `dy`.
    /// With an activation, `dSum` is 0 where its slope is 0, even for a NaN gradient.
    public static func sumScatterBackward(dOutput dy: UnsafePointer<Float>, slopeMask: UnsafePointer<UInt16>?, width: Int,
                                          pixels: Int, pending: SumInput?, activation: FusedNormKernel.Activation,
                                          into dSum: UnsafeMutablePointer<Float>, branch: ChannelGather?, parallel: Parallel) {
        precondition(activation == .none || slopeMask != nil, "an activation's gradient needs its slope mask")
        let groups = (width + 15) / 16
        let pendingIndex = pending?.index ?? [], branchIndex = branch?.index ?? []
        let ldp = pending?.ld ?? 0, ldg = branch?.ld ?? 0
        parallel.forEachPiece(count: pixels, grain: 1024) { _, r in
            let p0 = r.lowerBound
            dnal_sum_scatter_act_backward(dy + p0 * width, slopeMask.map { $0 + p0 * groups }, Int32(width), pending.map { $0.pointer + p0 * ldp },
                                          Int32(ldp), pendingIndex, Int32(pendingIndex.count), r.count, activation.rawValue,
                                          dSum + p0 * width, branch.map { $0.pointer + p0 * ldg }, Int32(ldg), branchIndex,
                                          Int32(branchIndex.count))
        }
    }
}
