import DNALKernels
import Dispatch
import Synchronization
import Testing

/// The worker pool behind `Parallel`: every chunk runs exactly once, on the chunk layout the
/// results' determinism depends on, also when several callers contend for the pool.
@Suite("Parallel")
struct ParallelTests {
    /// Runs `loops` loops of `count` items over `threads` workers; returns how often each item ran
    /// and whether each worker saw its own chunk.
    func run(threads: Int, count: Int, loops: Int) -> (counts: [Int], chunksRight: Bool) {
        let parallel = Parallel(threads: threads)
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: count)
        counts.initialize(repeating: 0, count: count)
        defer { counts.deallocate() }
        let wrong = Atomic<Int>(0)
        nonisolated(unsafe) let c = counts
        for _ in 0..<loops {
            let parts = parallel.parts(count: count)
            parallel.forEachChunk(count: count) { t, range in
                if range != Parallel.chunk(t, of: parts, count: count) { wrong.add(1, ordering: .relaxed) }
                for i in range { c[i] += 1 }
            }
        }
        return (Array(UnsafeBufferPointer(start: counts, count: count)), wrong.load(ordering: .relaxed) == 0)
    }

    @Test("every item once per loop", arguments: [1, 2, 3, 8])
    func everyItemOnce(threads: Int) {
        for count in [1, 2, 5, 64, 1000] {
            let (counts, right) = run(threads: threads, count: count, loops: 200)
            #expect(counts.allSatisfy { $0 == 200 }, "threads \(threads), count \(count)")
            #expect(right)
        }
    }

    @Test func contendingCallersEachGetEveryItem() {
        // four callers at once: one holds the pool, the others run on Dispatch; none may lose
        // or repeat a chunk
        let results = Mutex<[[Int]]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            let (counts, right) = run(threads: 2, count: 300, loops: 300)
            results.withLock { $0.append(right ? counts : []) }
        }
        let all = results.withLock { $0 }
        #expect(all.count == 4)
        for counts in all { #expect(counts.count == 300 && counts.allSatisfy { $0 == 300 }) }
    }
}
