import CDNALKernels

extension Convolution {
    /// Whether the forward kernels of `parallel` read `g`'s packed weights as column panels
    /// (made once per call) rather than in place: dense layers of 512 outputs or more on the
    /// vector paths.
    public static func readsWeightPanels(_ g: ConvGeometry, parallel: Parallel) -> Bool {
        !g.isDepthwise && panelWidth(descriptor(g, activation: .none), groups: g.groups, parallel: parallel) > 0
    }

    /// Output channels per column panel the kernels of `parallel` read `d`'s packed weights in
    /// (`dnal_conv_panel_width`), or 0 where they read the rows in place. Only an ungrouped conv
    /// gets panels: a group's weights start past the first group's, where the panels would not
    /// match them.
    static func panelWidth(_ d: dnal_conv, groups: Int, parallel: Parallel) -> Int {
        var d = d
        return groups == 1 ? Int(parallel.onCaller { dnal_conv_panel_width(&d) }) : 0
    }

    /// What the kernels of `parallel` read of a conv's weights besides the packed ones, stored
    /// after them in this order: column panels (`attachPanels`) and the Winograd transform
    /// (`attachWinograd`). `prepareForward` and the dense input gradient size their buffers by it.
    struct DerivedWeights {
        let panelWidth: Int, panelFloats: Int, winogradFloats: Int

        init(_ d: dnal_conv, groups: Int, parallel: Parallel) {
            var d = d
            panelWidth = Convolution.panelWidth(d, groups: groups, parallel: parallel)
            panelFloats = dnal_conv_panel_floats(&d, Int32(panelWidth))
            winogradFloats = winogradTile(d, groups: groups, parallel: parallel) != 0 ? dnal_conv_winograd_weight_floats(&d) : 0
        }

        /// Floats they take after the packed weights.
        var floats: Int { panelFloats + winogradFloats }

        /// Makes them from the weights at `packed` into `room` and points `d` at them.
        func attach(_ d: inout dnal_conv, packed: UnsafeMutablePointer<Float>, room: UnsafeMutablePointer<Float>,
                    parallel: Parallel) {
            if panelWidth > 0 { attachPanels(&d, width: panelWidth, packed: packed, room: room, parallel: parallel) }
            if winogradFloats > 0 { attachWinograd(&d, packed: packed, room: room + panelFloats, parallel: parallel) }
        }
    }

    /// Re-lays the packed weights of `d` as column panels of `width` channels into `room`
    /// (`dnal_conv_panel_floats`), rows split over the workers, and makes the descriptor's kernels
    /// read them: once per call, where the kernels copied each panel out of rows 2 KB or more
    /// apart for every block of pixels.
    static func attachPanels(_ d: inout dnal_conv, width: Int, packed: UnsafePointer<Float>,
                             room: UnsafeMutablePointer<Float>, parallel: Parallel) {
        var descriptor = d
        let rows = Int(d.kh * d.kw * d.cin)
        parallel.forEachChunk(count: rows, grain: 64) { _, r in
            dnal_conv_pack_panels(&descriptor, packed, Int32(width), Int32(r.lowerBound), Int32(r.upperBound), room)
        }
        d.panels = UnsafePointer(room)
        d.panels_of = packed
        d.panel_width = Int32(width)
    }
}
