/// Scratch memory for kernels: per-worker float buffers that grow on demand and are reused
/// across calls (packed weights, padded input bands, per-thread gradient partials).
///
/// Not thread-safe to resize: callers request every buffer they need before a parallel region
/// (`reserve`), then workers only read their slot's pointer.
public final class Workspace: @unchecked Sendable {
    /// Each slot's buffer, on a cache line (`AlignedFloats`).
    private var buffers: [AlignedFloats] = []

    public init() {}

    deinit {
        for b in buffers { b.deallocate() }
    }

    /// Buffer `slot` with room for at least `floats` floats (contents unspecified), on a 64-byte
    /// boundary (`AlignedFloats`).
    public func buffer(_ slot: Int, floats: Int) -> UnsafeMutablePointer<Float> {
        while buffers.count <= slot { buffers.append(AlignedFloats(count: 16)) }
        if buffers[slot].count < floats {
            let size = max(floats, buffers[slot].count * 2)
            buffers[slot].deallocate()
            buffers[slot] = AlignedFloats(count: size)
        }
        return buffers[slot].pointer
    }

    /// Floats currently held by all buffers (for peak-memory reports).
    public var reservedFloats: Int { buffers.reduce(0) { $0 + $1.count } }
}

/// Workspace slot numbers, so kernels that run one after another can share buffers without
/// clobbering what a caller still needs.
public enum WorkspaceSlot {
    /// Packed weights of the current conv call.
    public static let packedWeights = 0
    /// Packed weights of the second conv of a pair run image by image (slots 1-4 are the
    /// executor's own).
    public static let packedWeightsSecond = 5
    /// Packed weights of every conv of a chain of residual blocks (one buffer).
    public static let packedChain = 6
    /// Scaled weights of the depthwise conv of an inverted-residual block run as one step.
    public static let packedDepthwise = 7
    /// Worker t's scratch (padded input bands).
    public static func scratch(_ t: Int) -> Int { 8 + 4 * t }
    /// Worker t's gradient partials (backward), or its tiles of a fused inference conv.
    public static func partial(_ t: Int) -> Int { 9 + 4 * t }
    /// Worker t's rows of an output gradient that lives only while its images' gradients are made.
    public static func outputRows(_ t: Int) -> Int { 10 + 4 * t }
    /// Worker t's image of a conv input read through an affine (`Convolution.InputAffine`).
    public static func inputImage(_ t: Int) -> Int { 11 + 4 * t }
}
