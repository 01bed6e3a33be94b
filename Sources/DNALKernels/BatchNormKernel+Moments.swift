import CDNALKernels

extension BatchNormKernel {
    /// Bytes of one block of `moments`: its second pass reads it from L2 (1 MB per Zen 4 core)
    /// instead of memory.
    static let momentsBlockBytes = 128 * 1024

    /// The batch's per-channel mean and sum of squared deviations from it, reading x from memory
    /// once. Each worker walks its pixels in blocks of `momentsBlockBytes`: the block's mean,
    /// then its centred squares while the block is still in cache, merged into the worker's
    /// running moments (Chan, Golub and LeVeque's pairwise update, in double). The result is the
    /// two-pass one, mean first and then squares about it, up to rounding: no sum of raw squares
    /// is ever formed, so a mean far from zero costs no accuracy. Blocks and workers depend only
    /// on the thread count, so results are reproducible for a given count.
    static func moments(x: UnsafePointer<Float>, pixels: Int, channels c: Int,
                        parallel: Parallel) -> (mean: [Double], squares: [Double]) {
        let parts = max(1, parallel.parts(count: pixels, grain: 256))
        let block = max(16, momentsBlockBytes / (MemoryLayout<Float>.size * max(c, 1)))
        // per worker: pixels seen, then c means and c sums of squares; then two block buffers
        let stride = 1 + 4 * c
        let state = UnsafeMutablePointer<Double>.allocate(capacity: parts * stride)
        defer { state.deallocate() }
        state.initialize(repeating: 0, count: parts * stride)
        parallel.forEachChunk(count: pixels, grain: 256) { t, r in
            let own = state + t * stride
            let mean = own + 1, squares = own + 1 + c, blockMean = own + 1 + 2 * c, blockSquares = own + 1 + 3 * c
            var p = r.lowerBound
            while p < r.upperBound {
                let q = min(p + block, r.upperBound), n = Double(q - p)
                blockMean.update(repeating: 0, count: c)
                blockSquares.update(repeating: 0, count: c)
                dnal_channel_sum(x + p * c, q - p, Int32(c), blockMean)
                for i in 0..<c { blockMean[i] /= n }
                dnal_channel_centered_squares(x + p * c, q - p, Int32(c), blockMean, blockSquares)
                merge(into: own, mean: mean, squares: squares, count: n, blockMean: blockMean, blockSquares: blockSquares,
                      channels: c)
                p = q
            }
        }
        let total = state
        for t in 1..<parts {
            let other = state + t * stride
            merge(into: total, mean: total + 1, squares: total + 1 + c, count: other[0], blockMean: other + 1,
                  blockSquares: other + 1 + c, channels: c)
        }
        return (Array(UnsafeBufferPointer(start: total + 1, count: c)), Array(UnsafeBufferPointer(start: total + 1 + c, count: c)))
    }

    /// Adds a set of `count` values with per-channel `blockMean` and `blockSquares` to running
    /// moments over `seen[0]` values: the merged mean moves by the difference of the means times
    /// the new share, and the squares gain the difference squared times the product of the
    /// counts over their sum.
    private static func merge(into seen: UnsafeMutablePointer<Double>, mean: UnsafeMutablePointer<Double>,
                              squares: UnsafeMutablePointer<Double>, count n: Double, blockMean: UnsafePointer<Double>,
                              blockSquares: UnsafePointer<Double>, channels c: Int) {
        guard n > 0 else { return }
        let m = seen[0], total = m + n
        for i in 0..<c {
            let delta = blockMean[i] - mean[i]
            mean[i] += delta * n / total
            squares[i] += blockSquares[i] + delta * delta * m * n / total
        }
        seen[0] = total
    }
}
