import CDNALKernels
import Dispatch

/// Splits `count` work items over `threads` workers in fixed contiguous chunks, so that which
/// thread computes what depends only on (count, threads): results are reproducible for a given
/// thread count, and each output element has exactly one writer.
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
        let isa = self.isa.map { Int32($0.raw.rawValue) } ?? -1
        if parts == 1 {
            dnal_set_thread_isa(isa)
            body(0, 0..<count)
            dnal_set_thread_isa(-1)
            return
        }
        // Safe by construction: each chunk writes only its own outputs (or its own partials), so
        // the closure's captured pointers are never written by two workers.
        nonisolated(unsafe) let work = body
        let part: @Sendable (Int) -> Void = { t in
            dnal_set_thread_isa(isa)
            work(t, Self.chunk(t, of: parts, count: count))
            dnal_set_thread_isa(-1)
        }
        // the kernels' pool starts a loop in about a microsecond (its workers spin between an
        // executor's steps); when another caller holds it, Dispatch runs this loop instead
        let ran = withoutActuallyEscaping(part) { part in
            withUnsafePointer(to: part) { pointer in
                dnal_parallel_run(Int32(parts), { context, t in
                    context!.assumingMemoryBound(to: (@Sendable (Int) -> Void).self).pointee(Int(t))
                }, UnsafeMutableRawPointer(mutating: pointer))
            }
        }
        if ran != 0 { DispatchQueue.concurrentPerform(iterations: parts, execute: part) }
    }

    /// `body` on the calling thread with this value's kernel path (for the kernels' own checks
    /// of what the path can run, before `forEachChunk`).
    public func onCaller<R>(_ body: () -> R) -> R {
        dnal_set_thread_isa(isa.map { Int32($0.raw.rawValue) } ?? -1)
        defer { dnal_set_thread_isa(-1) }
        return body()
    }

    /// How many chunks `forEachChunk` will use.
    public func parts(count: Int, grain: Int = 1) -> Int {
        count <= 0 ? 0 : min(threads, max(1, count / max(grain, 1)))
    }
}
