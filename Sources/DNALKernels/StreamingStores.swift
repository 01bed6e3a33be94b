import CDNALKernels

/// When a pass writes its output past the caches (non-temporal stores): outputs of at least
/// `minimumBytes`, which would be evicted before their consumer reads them anyway
/// (`DNAL_STREAM_BYTES`, include/dnal_memory.h). The values are the same either way; only where
/// the written lines go differs.
public enum StreamingStores {
    /// The threshold in bytes. Tests lower it (`$minimumBytes.withValue(0) { ... }`) to run the
    /// streaming paths on small tensors; it is scoped to the task that sets it.
    @TaskLocal public static var minimumBytes = Int(DNAL_STREAM_BYTES)

    /// Whether an output of `floats` floats should be streamed, as the kernels' hint (0 or 1).
    static func hint(floats: Int) -> Int32 {
        floats * MemoryLayout<Float>.size >= minimumBytes ? 1 : 0
    }
}
