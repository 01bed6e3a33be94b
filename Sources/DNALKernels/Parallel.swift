import CDNALKernels
import Dispatch

/// Splits `count` work items over `threads` workers, in fixed contiguous chunks (`forEachChunk`,
/// for per-worker partial results) or in fixed pieces the workers claim as they finish
/// (`forEachPiece`). Either way the bounds depend only on (count, threads): results are
/// reproducible for a given thread count, and each output element has exactly one writer.
public struct Parallel: Sendable {
    /// Worker count, at least 1.
    public let threads: Int
    /// The kernel path these workers run, or nil for the process-wide one (`KernelISA.current`).
    /// Scoped to this computation, so tests can sweep paths while other work runs.
    public let isa: KernelISA?

    /// `isa` must be one this CPU supports (`KernelISA.supported`); others fall back to nil.
    public init(threads: Int, isa: KernelISA? = nil) {
        self.threads = max(1, threads)
        self.isa = isa.flatMap { KernelISA.supported.contains($0) ? $0 : nil }
    }

    /// The chunk of `count` items that worker `t` of `parts` handles.
    public static func chunk(_ t: Int, of parts: Int, count: Int) -> Range<Int> {
        (t * count / parts)..<((t + 1) * count / parts)
    }

    /// Runs `body(worker, range)` for each non-empty chunk, concurrently when threads > 1.
    /// Chunks never split below `grain` items (small work stays on one thread).
    public func forEachChunk(count: Int, grain: Int = 1, _ body: (Int, Range<Int>) -> Void) {
        guard count > 0 else { return }
        let parts = min(threads, max(1, count / max(grain, 1)))
        if parts == 1 { return onCaller { body(0, 0..<count) } }
        // Safe by construction: each chunk writes only its own outputs (or its own partials), so
        // the closure's captured pointers are never written by two workers.
        nonisolated(unsafe) let work = body
        run(parts: parts) { t in work(t, Self.chunk(t, of: parts, count: count)) }
    }

    /// `count` items cut into pieces that the workers claim as they finish, for loops whose
    /// results do not depend on which worker computes a piece. On this machine's cores a static
    /// half of a memory-bound pass often ran twice as long as the other half (pages, caches and
    /// the other tenants of the host differ between the halves); with pieces, the worker that
    /// runs ahead takes more of them. The pieces' bounds depend only on (count, threads, grain,
    /// align), so results stay reproducible for a given thread count.
    public struct Pieces: Sendable {
        /// Number of pieces.
        public let count: Int
        let items: Int, units: Int, align: Int

        /// Items [0, items) in pieces of at least `grain` items whose bounds are multiples of
        /// `align` (whole images of rows, say) when there are at least `threads` such units.
        init(items: Int, threads: Int, grain: Int, align: Int) {
            let align = max(1, align), whole = (items + align - 1) / align
            self.align = whole >= threads ? align : 1
            self.items = items
            self.units = (items + self.align - 1) / self.align
            let byGrain = max(1, items / max(grain, 1))
            self.count = items <= 0 ? 0 : threads == 1 ? 1 : min(threads * Self.perThread, units, byGrain)
        }

        /// Pieces per worker (at most): enough that the worker finishing first waits little for
        /// the other's last piece, few enough that each stays large. With 4, the caller's wait in
        /// `dnal_parallel_run` was 6.5% of VGG16's inference samples (half a piece on average, an
        /// eighth of each loop, at the end); 8 cut it to 5.0%. 16 tied with 8 on VGG16 and lost
        /// 5% on MobileNetV2: each piece's rows end in a remainder tile of the microkernel.
        public static let perThread = 8

        /// The items of piece `i`.
        public subscript(_ i: Int) -> Range<Int> {
            let lo = i * units / count * align, hi = (i + 1) * units / count * align
            return min(lo, items)..<min(hi, items)
        }
    }

    /// How `forEachPiece` cuts `count` items.
    public func pieces(count: Int, grain: Int = 1, align: Int = 1) -> Pieces {
        Pieces(items: count, threads: threads, grain: grain, align: align)
    }

    /// Runs `body(worker, piece)` for every piece, the workers claiming pieces as they finish.
    /// `worker` (below `threads`) may index per-worker scratch; anything per piece (partial sums
    /// that must add up in a fixed order) is indexed by `piece`.
    public func forEach(_ pieces: Pieces, _ body: (_ worker: Int, _ piece: Int) -> Void) {
        let n = pieces.count
        guard n > 0 else { return }
        let workers = min(threads, n)
        if workers == 1 { return onCaller { for i in 0..<n { body(0, i) } } }
        // worker w's own block: the pieces of its static chunk (forEachChunk's split)
        var blocks = (0..<workers).map { w -> UInt64 in
            let own = Self.chunk(w, of: workers, count: n)
            return UInt64(own.lowerBound) | UInt64(own.upperBound) << 32
        }
        blocks.withUnsafeMutableBufferPointer { blocks in
            // each piece is claimed by exactly one worker, so no output is written twice
            nonisolated(unsafe) let work = body
            nonisolated(unsafe) let blocks = blocks.baseAddress!
            run(parts: workers) { t in
                while true {
                    let i = Int(dnal_parallel_claim(blocks, Int32(workers), Int32(t)))
                    if i < 0 { break }
                    work(t, i)
                }
            }
        }
    }

    /// `forEach(pieces(count:grain:align:))` with each piece's items: `body(worker, items)`.
    public func forEachPiece(count: Int, grain: Int = 1, align: Int = 1, _ body: (_ worker: Int, Range<Int>) -> Void) {
        let pieces = self.pieces(count: count, grain: grain, align: align)
        forEach(pieces) { t, i in body(t, pieces[i]) }
    }

    /// `part(t)` for t in 0..<parts, concurrently, each with this value's kernel path.
    private func run(parts: Int, _ part: @Sendable (Int) -> Void) {
        let withISA: @Sendable (Int) -> Void = { t in onCaller { part(t) } }
        // the kernels' pool starts a loop in about a microsecond (its workers spin between an
        // executor's steps); when another caller holds it, Dispatch runs this loop instead
        let ran = withoutActuallyEscaping(withISA) { part in
            withUnsafePointer(to: part) { pointer in
                dnal_parallel_run(Int32(parts), { context, t in
                    context!.assumingMemoryBound(to: (@Sendable (Int) -> Void).self).pointee(Int(t))
                }, UnsafeMutableRawPointer(mutating: pointer))
            }
        }
        if ran != 0 { DispatchQueue.concurrentPerform(iterations: parts, execute: withISA) }
    }

    /// `body` on the calling thread with this value's kernel path (for the kernels' own checks
    /// of what the path can run, before `forEachChunk`).
    public func onCaller<R>(_ body: () -> R) -> R {
        dnal_set_thread_isa(isa.map { Int32($0.raw.rawValue) } ?? -1)
        defer { dnal_set_thread_isa(-1) }
        return body()
    }

    /// Floats from which a memory pass over weights (packing them, zeroing, summing and unpacking
    /// their gradients' partials, the optimizer's update) is shared out over the workers rather
    /// than run on the caller: VGG16's 512-channel layers hold 2.4M; ResNet-56's largest, 37K,
    /// stay on the caller. Those passes once left the other worker idle for 10% of a VGG16
    /// training step's main-thread time.
    public static let sharedPassFloats = 1 << 16

    /// How many chunks `forEachChunk` will use.
    public func parts(count: Int, grain: Int = 1) -> Int {
        count <= 0 ? 0 : min(threads, max(1, count / max(grain, 1)))
    }
}
