import DNALKernels
import Foundation
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

    @Test("pieces tile the items, aligned where there are enough units", arguments: [1, 2, 3, 8])
    func piecesTileTheItems(threads: Int) {
        let parallel = Parallel(threads: threads)
        for (count, grain, align) in [(1, 1, 1), (7, 1, 1), (128, 1, 1), (4096, 1, 32), (4096, 1024, 32), (96, 1, 32),
                                      (100, 1, 7), (1 << 20, 1 << 14, 1)] {
            let pieces = parallel.pieces(count: count, grain: grain, align: align)
            #expect(pieces.count >= 1 && pieces.count <= max(1, threads * Parallel.Pieces.perThread))
            #expect(threads > 1 || pieces.count == 1)
            var next = 0
            for i in 0..<pieces.count {
                let r = pieces[i]
                #expect(r.lowerBound == next && !r.isEmpty, "count \(count) piece \(i) \(r)")
                #expect(r.count >= min(grain, count))
                // whole units (images of rows) when every worker can get at least one
                if (count + align - 1) / align >= threads { #expect(r.lowerBound % align == 0) }
                next = r.upperBound
            }
            #expect(next == count)
        }
    }

    @Test func aWorkerThatFallsBehindHasItsPiecesTaken() {
        // the first piece to start stalls its worker until every other piece is done: the other
        // worker runs its own block, then takes the stalled block's pieces from its end. (Which
        // worker starts first is up to the scheduler: on a busy machine the caller's worker may
        // start after the other has claimed everything, piece 0 included.)
        let parallel = Parallel(threads: 2)
        let pieces = parallel.pieces(count: 64)
        #expect(pieces.count == 2 * Parallel.Pieces.perThread)
        let owner = UnsafeMutablePointer<Int>.allocate(capacity: pieces.count)
        owner.initialize(repeating: -1, count: pieces.count)
        defer { owner.deallocate() }
        nonisolated(unsafe) let o = owner
        let stalled = Atomic<Int>(-1), done = Atomic<Int>(0), twice = Atomic<Int>(0), waited = Atomic<Bool>(false)
        parallel.forEach(pieces) { t, i in
            if o[i] != -1 { twice.add(1, ordering: .relaxed) }
            o[i] = t
            if stalled.compareExchange(expected: -1, desired: i, ordering: .relaxed).exchanged {
                let deadline = Date().addingTimeInterval(10)
                while done.load(ordering: .acquiring) < pieces.count - 1 && Date() < deadline { usleep(1000) }
                waited.store(done.load(ordering: .acquiring) == pieces.count - 1, ordering: .relaxed)
            } else {
                done.add(1, ordering: .releasing)
            }
        }
        let owners = Array(UnsafeBufferPointer(start: owner, count: pieces.count))
        let repeated = twice.load(ordering: .relaxed), othersDone = waited.load(ordering: .relaxed)
        #expect(repeated == 0 && !owners.contains(-1))
        #expect(othersDone, "the other worker never took the stalled block's pieces: \(owners)")
        // the stalled worker ran only its first piece; the other worker ran all the rest
        let first = stalled.load(ordering: .relaxed)
        #expect(first >= 0)
        if first >= 0 {
            let other = 1 - owners[first]
            #expect(owners.indices.allSatisfy { $0 == first || owners[$0] == other }, "stalled at \(first): \(owners)")
        }
    }

    @Test func piecesRunOnceAlsoWhenCallersContend() {
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            let parallel = Parallel(threads: 3)
            for count in [1, 5, 12, 300] {
                let hits = UnsafeMutablePointer<Int>.allocate(capacity: count)
                hits.initialize(repeating: 0, count: count)
                nonisolated(unsafe) let h = hits
                for _ in 0..<100 { parallel.forEachPiece(count: count) { _, r in for i in r { h[i] += 1 } } }
                if !UnsafeBufferPointer(start: hits, count: count).allSatisfy({ $0 == 100 }) { failures.add(1, ordering: .relaxed) }
                hits.deallocate()
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
    }
}
