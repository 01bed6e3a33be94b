import CDNALKernels

extension TensorOps {
    /// One input of a feature-map sum: `ld` floats per pixel; `index` places its channels in the
    /// sum (nil: it has the sum's width, in order).
    public struct SumInput {
        public var pointer: UnsafePointer<Float>
        public var ld: Int
        public var index: [Int32]?

        public init(_ pointer: UnsafePointer<Float>, ld: Int, index: [Int32]? = nil) {
            self.pointer = pointer
            self.ld = ld
            self.index = index
        }
    }

    /// Every one of `width` channels in order: a full-width tensor as a channel map (a sum's
    /// second full-width input, forward and backward, goes through the scattered inputs' pass).
    public static func allChannels(_ width: Int) -> [Int32] { (0..<Int32(width)).map { $0 } }

    /// Pixels of one cache block of the general sum: its inputs and output stay in L1/L2 between
    /// the passes over it.
    static let sumBlockPixels = 256

    /// y = act(sum of the inputs, scattered ones added at their channels), `width` channels per
    /// pixel, over `pixels` pixels: every feature-map sum of a plan (a trunk and its scattered
    /// branch, several scattered inputs, plain adds). Works block by block, so its passes (the
    /// start, adds, scatter-adds, the last scatter fused with the activation) touch each block
    /// while it is in cache; a single full-width input is read by the first scatter directly.
    /// `gather`, if given, is filled as well (the next conv's channels): by the last scattered
    /// input's pass from the registers holding each row, else from each finished block while it
    /// is in cache.
    /// `slopeMask`, if given, gets the activation's slope bits (`dnal_slope_mask`, ceil(width / 16)
    /// per pixel) for the backward pass: from the registers of the last scattered input's pass,
    /// else from each finished block while it is in cache.
    public static func sum(_ inputs: [SumInput], pixels: Int, width: Int, activation: FusedNormKernel.Activation,
                           into y: UnsafeMutablePointer<Float>, gather: ChannelGather? = nil,
                           slopeMask: UnsafeMutablePointer<UInt16>? = nil, parallel: Parallel) {
        let groups = (width + 15) / 16
        // Plain inputs after the first go in as inputs scattered to every channel in order, so a
        // residual sum of two full-width tensors (ResNet's blocks) is one fused pass that adds,
        // applies the activation and writes the slope bits. As a copy, an add, an activation
        // pass and a mask pass over each block, it was 5-6% of a ResNet-56 training step. The
        // sums are the same: the first input plus the others, in order.
        let full = inputs.filter { $0.index == nil }
        let plain = Array(full.prefix(1))
        let scattered = full.dropFirst().map { SumInput($0.pointer, ld: $0.ld, index: allChannels(width)) }
            + inputs.filter { $0.index != nil }
        let indices = scattered.map { $0.index! }
        let act = activation.rawValue
        parallel.forEachPiece(count: pixels, grain: sumBlockPixels) { _, chunk in
            var p0 = chunk.lowerBound
            while p0 < chunk.upperBound {
                let n = min(sumBlockPixels, chunk.upperBound - p0)
                let out = y + p0 * width
                // scattered input k added into out, or into `trunk`'s block with the result written
                // to out; the last one carries the activation
                var gathered = false, masked = false
                func addScattered(_ k: Int, onto trunk: SumInput? = nil) {
                    let s = scattered[k], x = s.pointer + p0 * s.ld, last = k == scattered.count - 1
                    indices[k].withUnsafeBufferPointer { index in
                        if last || trunk != nil {
                            let (t, ldt) = trunk.map { ($0.pointer + p0 * $0.ld, $0.ld) } ?? (UnsafePointer(out), width)
                            if last, gather != nil || slopeMask != nil {
                                dnal_sum_scatter_act_outputs(t, Int32(ldt), x, Int32(s.ld), index.baseAddress, Int32(index.count), n,
                                                             out, Int32(width), Int32(width), act,
                                                             gather.map { $0.pointer + p0 * $0.ld }, Int32(gather?.ld ?? 0),
                                                             gather?.index, Int32(gather?.index.count ?? 0),
                                                             slopeMask.map { $0 + p0 * groups })
                                gathered = gather != nil
                                masked = slopeMask != nil
                            } else {
                                dnal_sum_scatter_act(t, Int32(ldt), x, Int32(s.ld), index.baseAddress, Int32(index.count), n, out,
                                                     Int32(width), Int32(width), last ? act : 0)
                            }
                        } else {
                            dnal_scatter_add_channels(x, Int32(s.ld), n, index.baseAddress, Int32(index.count), out, Int32(width))
                        }
                    }
                }
                var next = 0
                if let first = plain.first, !scattered.isEmpty {
                    // a trunk and its branches (a residual sum): the first branch reads the trunk
                    // directly, no copy of it first
                    addScattered(0, onto: first)
                    next = 1
                } else if let first = plain.first {
                    dnal_copy_channels(first.pointer + p0 * first.ld, Int32(first.ld), n, Int32(width), out, Int32(width), 0)
                } else {
                    out.update(repeating: 0, count: n * width)
                }
                for k in next..<scattered.count { addScattered(k) }
                if scattered.isEmpty && activation != .none {
                    dnal_relu_forward(out, n * width, activation == .relu6 ? 1 : 0, out)
                }
                if let slopeMask, !masked {
                    dnal_slope_mask(out, n, Int32(width), act, slopeMask + p0 * groups)
                }
                if let gather, !gathered {
                    dnal_gather_channels(out, Int32(width), n, gather.index, Int32(gather.index.count), gather.pointer + p0 * gather.ld,
                                         Int32(gather.ld))
                }
                p0 += n
            }
        }
    }
}
