import CDNALKernels

/// Floats the kernels stream through (the workspace's buffers), placed so that a row's vector
/// loads never straddle two cache lines: from 1 MB up mapped as the executor's arena is
/// (`dnal_allocate_large`: 2 MB boundaries, transparent huge pages), smaller on a 64-byte
/// boundary. malloc put large blocks 16 bytes into a page of 4 KB,
/// and where those pages fell, a process at random, decided the TLB's conflicts: MobileNetV2's
/// inference, whose blocks run through workspace buffers, took 74-84 ms per step from one
/// process to the next (with address randomisation off, 73.5-74.5 every time); aligned, 66-66.5.
/// Huge pages add about 1% to that; from 256 KB up instead of 1 MB they gained nothing more,
/// and each such block holds a whole 2 MB page. (The parameter store and the optimiser's state
/// placed this way made no measurable difference: VGG16 training 0.998, MobileNetV2 1.001.)
public struct AlignedFloats {
    /// The first float; `count` of them, contents unspecified.
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    private let large: Bool

    /// Blocks from this many floats (1 MB) up go on huge pages.
    static let largeFloats = 1 << 18

    /// Room for `count` floats (at least one).
    public init(count: Int) {
        let n = max(count, 1)
        self.count = n
        if n >= Self.largeFloats, let p = dnal_allocate_large(n) {
            pointer = p
            large = true
        } else {
            pointer = UnsafeMutableRawPointer.allocate(byteCount: n * MemoryLayout<Float>.size, alignment: 64)
                .bindMemory(to: Float.self, capacity: n)
            large = false
        }
    }

    /// Frees the block; `pointer` is invalid afterwards.
    public func deallocate() {
        if large { dnal_free_large(pointer) } else { UnsafeMutableRawPointer(pointer).deallocate() }
    }
}
