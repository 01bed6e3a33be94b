import CDNALKernels

extension Convolution {
    /// The output tile with which `forward` (and the inference steps built on it) runs `g` as
    /// Winograd with the kernels of `parallel`: 4 (F(4x4, 3x3)) or 2 (F(2x2, 3x3)) for a dense
    /// 3x3, stride-1, padding-1 conv that keeps a map of 8 pixels or more wide, with at least
    /// 19 x 19 input-by-output channels and transformed weights of at most 4 MB; 0 (direct) otherwise
    /// (`dnal_conv_winograd_applies`; docs/winograd.md). `backwardInput` takes it too where the
    /// gradient's conv, the same geometry with the channel counts swapped, qualifies.
    public static func winogradTile(_ g: ConvGeometry, parallel: Parallel) -> Int {
        winogradTile(descriptor(g, activation: .none), groups: g.groups, parallel: parallel)
    }

    /// `winogradTile` for a conv the kernels see as `d` (one of `groups` groups: grouped convs
    /// stay direct).
    static func winogradTile(_ d: dnal_conv, groups: Int, parallel: Parallel) -> Int {
        var d = d
        return groups == 1 ? Int(parallel.onCaller { dnal_conv_winograd_applies(&d) }) : 0
    }

    /// Whether the kernels of `parallel` run `g` as column Winograd
    /// (`dnal_conv_column_winograd_applies`; docs/winograd.md): the narrow 3x3 layers pruning
    /// leaves, whole images on AVX-512 (and 16-output ones in a planar chain), bands of 4 rows
    /// on AVX2.
    public static func columnWinogradApplies(_ g: ConvGeometry, parallel: Parallel) -> Bool {
        var d = descriptor(g, activation: .none)
        return g.groups == 1 && parallel.onCaller { dnal_conv_column_winograd_applies(&d) } != 0
    }

    /// Transforms the packed weights of `d` into `room` (`dnal_conv_winograd_weight_floats`),
    /// input channels split over the workers, and makes the descriptor's forward rows read them.
    static func attachWinograd(_ d: inout dnal_conv, packed: UnsafePointer<Float>, room: UnsafeMutablePointer<Float>,
                               parallel: Parallel) {
        var descriptor = d
        parallel.forEachChunk(count: Int(d.cin), grain: 16) { _, r in
            dnal_conv_winograd_weights_channels(&descriptor, packed, room, Int32(r.lowerBound), Int32(r.upperBound))
        }
        d.winograd = UnsafePointer(room)
    }
}
