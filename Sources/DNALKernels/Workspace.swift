import CDNALKernels

/// Scratch memory for kernels: per-worker float buffers that grow on demand and are reused
/// across calls (packed weights, padded input bands, per-thread gradient partials).
///
/// Not thread-safe to resize: callers request every buffer they need before a parallel region
/// (`reserve`), then workers only read their slot's pointer.
public final class Workspace: @unchecked Sendable {
    private var buffers: [UnsafeMutablePointer<Float>] = []
    private var capacities: [Int] = []
    /// Whether each buffer came from `dnal_allocate_large`.
    private var large: [Bool] = []

    public init() {}

    deinit {
        for (b, isLarge) in zip(buffers, large) { Self.free(b, large: isLarge) }
    }

    /// Buffer `slot` with room for at least `floats` floats (contents unspecified), on a 64-byte
    /// boundary.
    public func buffer(_ slot: Int, floats: Int) -> UnsafeMutablePointer<Float> {
        while buffers.count <= slot {
            let (p, isLarge) = Self.allocate(16)
            buffers.append(p)
            capacities.append(16)
            large.append(isLarge)
        }
        if capacities[slot] < floats {
            Self.free(buffers[slot], large: large[slot])
            let size = max(floats, capacities[slot] * 2)
            (buffers[slot], large[slot]) = Self.allocate(size)
            capacities[slot] = size
        }
        return buffers[slot]
    }

    /// Floats currently held by all buffers (for peak-memory reports).
    public var reservedFloats: Int { capacities.reduce(0, +) }

    /// Buffers from this size (1 MB) up are mapped as the executor's arena is
    /// (`dnal_allocate_large`: 2 MB boundaries, transparent huge pages); smaller ones start on a
    /// cache line. malloc placed them 16 bytes into a page of 4 KB, so every vector load of a row
    /// straddled two cache lines, and where the pages fell, a process at random, decided the
    /// TLB's conflicts: MobileNetV2's inference, whose blocks run through such buffers, took
    /// 74-84 ms per step from one process to the next (with address randomisation off, 73.5-74.5
    /// every time); aligned, 66-66.5. Huge pages add about 1% to that; from 256 KB up instead of
    /// 1 MB they gained nothing more, and each such buffer holds a whole 2 MB page per worker.
    static let largeFloats = 1 << 18

    private static func allocate(_ floats: Int) -> (UnsafeMutablePointer<Float>, large: Bool) {
        if floats >= largeFloats, let p = dnal_allocate_large(floats) { return (p, true) }
        let p = UnsafeMutableRawPointer.allocate(byteCount: floats * MemoryLayout<Float>.size, alignment: 64)
        return (p.bindMemory(to: Float.self, capacity: floats), false)
    }

    private static func free(_ p: UnsafeMutablePointer<Float>, large: Bool) {
        if large { dnal_free_large(p) } else { UnsafeMutableRawPointer(p).deallocate() }
    }
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
    public static func scratch(_ t: Int) -> Int { 8 + 3 * t }
    /// Worker t's gradient partials (backward), or its tiles of a fused inference conv.
    public static func partial(_ t: Int) -> Int { 9 + 3 * t }
    /// Worker t's rows of an output gradient that lives only while its images' gradients are made.
    public static func outputRows(_ t: Int) -> Int { 10 + 3 * t }
}
