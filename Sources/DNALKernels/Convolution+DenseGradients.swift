import CDNALKernels

extension Convolution {
    /// A dense (or grouped) conv's weight gradient as workers compute it over ranges of output
    /// rows: the kernel's descriptor, and each worker's partial sums (`[group][kh][kw][cin][ldw]`
    /// then the bias), zeroed. `finish` adds them into dWeight and dBias.
    struct DenseWeightGradient {
        let g: ConvGeometry
        let d: dnal_conv
        let perGroup: Int
        let partials: [UnsafeMutablePointer<Float>]

        init(_ g: ConvGeometry, parts: Int, parallel: Parallel, workspace: Workspace) {
            let ldw = roundUp(g.outPerGroup)
            self.g = g
            perGroup = g.kernel * g.kernel * g.inPerGroup * ldw
            d = dnal_conv(n: Int32(g.batch), hin: Int32(g.inHeight), win: Int32(g.inWidth), cin: Int32(g.inPerGroup),
                          ldx: Int32(g.inChannels), hout: Int32(g.outHeight), wout: Int32(g.outWidth),
                          cout: Int32(g.outPerGroup), ldy: Int32(g.outChannels), kh: Int32(g.kernel), kw: Int32(g.kernel),
                          stride: Int32(g.stride), pad_top: Int32(g.padding), pad_left: Int32(g.padding), dilate: 1,
                          ldw: Int32(ldw), act: 0, stream: 0, winograd: nil, panels: nil, panels_of: nil, panel_width: 0)
            let size = perGroup * g.groups + g.outChannels
            let partials = (0..<parts).map { workspace.buffer(WorkspaceSlot.partial($0), floats: size) }
            // each worker zeroes its own when they are large (VGG16's 512-channel layers)
            if size >= Parallel.sharedPassFloats {
                parallel.forEachChunk(count: parts) { _, r in for t in r { partials[t].initialize(repeating: 0, count: size) } }
            } else {
                for p in partials { p.initialize(repeating: 0, count: size) }
            }
            self.partials = partials
        }

        /// Scratch floats `accumulate` needs per worker.
        var scratchFloats: Int {
            var d = d
            return dnal_conv_scratch_floats(&d)
        }

        /// Worker t's share: output rows `rows` (of all images) added into its partials, in row order.
        func accumulate(x: UnsafePointer<Float>, dOutput: UnsafePointer<Float>, bias: Bool, rows: Range<Int>, worker t: Int,
                        scratch: UnsafeMutablePointer<Float>) {
            var d = d
            for grp in 0..<g.groups {
                dnal_conv_backward_weight_rows(&d, x + grp * g.inPerGroup, dOutput + grp * g.outPerGroup,
                                               partials[t] + grp * perGroup,
                                               bias ? partials[t] + perGroup * g.groups + grp * g.outPerGroup : nil,
                                               Int32(rows.lowerBound), Int32(rows.upperBound), scratch)
            }
        }

        /// Adds the partials into dWeight (and dBias), in worker order: the same thread count
        /// always gives the same sums. Large weights are shared out over `parallel` by taps (each
        /// element still sums the partials in worker order).
        func finish(dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?, parallel: Parallel) {
            let taps = g.kernel * g.kernel, tapFloats = g.inPerGroup * Int(d.ldw)
            let add = { (r: Range<Int>) in
                for grp in 0..<g.groups {
                    let offset = grp * perGroup + r.lowerBound * tapFloats
                    for p in partials.dropFirst() {
                        dnal_add(partials[0] + offset, p + offset, r.count * tapFloats, partials[0] + offset)
                    }
                    dnal_unpack_conv_weights_add_taps(partials[0] + grp * perGroup, Int32(g.inPerGroup), Int32(g.outChannels),
                                                      Int32(g.groups), Int32(grp), d.ldw, Int32(r.lowerBound),
                                                      Int32(r.upperBound), dWeight)
                }
            }
            if taps > 1 && perGroup * g.groups >= Parallel.sharedPassFloats {
                parallel.forEachChunk(count: taps) { _, r in add(r) }
            } else {
                add(0..<taps)
            }
            if let dBias {
                let bias = perGroup * g.groups
                for p in partials.dropFirst() { dnal_add(partials[0] + bias, p + bias, g.outChannels, partials[0] + bias) }
                dnal_add(dBias, partials[0] + bias, g.outChannels, dBias)
            }
        }
    }

    /// A dense (or grouped) conv's input gradient as the forward kernel computes it: a stride-1
    /// conv of the output gradient, dilated by the stride and padded by K-1-p, with the weights
    /// flipped and their channel roles swapped (packed in workspace's packed-weights slot).
    struct DenseInputGradient {
        let g: ConvGeometry
        let d: dnal_conv
        let packed: UnsafeMutablePointer<Float>
        let perGroup: Int

        init(_ g: ConvGeometry, weight: UnsafePointer<Float>, parallel: Parallel, workspace: Workspace) {
            let ldw = roundUp(g.inPerGroup)
            let pad = Int32(g.kernel - 1 - g.padding)
            var d = dnal_conv(n: Int32(g.batch), hin: Int32(g.outHeight), win: Int32(g.outWidth), cin: Int32(g.outPerGroup),
                              ldx: Int32(g.outChannels), hout: Int32(g.inHeight), wout: Int32(g.inWidth),
                              cout: Int32(g.inPerGroup), ldy: Int32(g.inChannels), kh: Int32(g.kernel), kw: Int32(g.kernel),
                              stride: 1, pad_top: pad, pad_left: pad, dilate: Int32(g.stride), ldw: Int32(ldw), act: 0,
                              stream: StreamingStores.hint(floats: g.inputCount), winograd: nil, panels: nil, panels_of: nil, panel_width: 0)
            self.g = g
            perGroup = g.kernel * g.kernel * g.outPerGroup * ldw
            // a 3x3, stride-1, padding-1 conv's gradient is one too: it takes Winograd as the forward does
            let derived = DerivedWeights(d, groups: g.groups, parallel: parallel)
            packed = workspace.buffer(WorkspaceSlot.packedWeights, floats: perGroup * g.groups + derived.floats)
            _ = packWeights(g, weight: weight, outputScale: nil, transposeFlip: true, into: packed, parallel: parallel)
            derived.attach(&d, packed: packed, room: packed + perGroup * g.groups, parallel: parallel)
            self.d = d
        }

        /// Scratch floats `run` needs per worker.
        var scratchFloats: Int {
            var d = d
            return dnal_conv_scratch_floats(&d)
        }

        /// Input rows `rows` (of all images) of dInput, overwritten or, with `accumulate`, added.
        func run(dOutput: UnsafePointer<Float>, dInput: UnsafeMutablePointer<Float>, rows: Range<Int>, accumulate: Bool,
                 scratch: UnsafeMutablePointer<Float>) {
            var d = d
            for grp in 0..<g.groups {
                dnal_conv_forward_rows(&d, dOutput + grp * g.outPerGroup, packed + grp * perGroup, nil,
                                       dInput + grp * g.inPerGroup, Int32(rows.lowerBound), Int32(rows.upperBound),
                                       accumulate ? 1 : 0, scratch)
            }
        }
    }
}
