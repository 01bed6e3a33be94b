import CDNALKernels
import Dispatch
import Foundation

/// This machine's measured FP32 FMA throughput on the current kernel path: the ceiling that
/// benchmark figures are expressed against.
public enum MachinePeak {
    /// GFLOP/s of `threads` workers each running independent FMA chains (best of three ~40 ms
    /// runs; docs/performance.md).
    public static func measure(threads: Int) -> Double {
        let iterations = KernelISA.current == .scalar ? 2_000_000 : 10_000_000
        let flops = Double(dnal_fma_flops_per_iteration()) * Double(iterations) * Double(threads)
        var best = 0.0
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            DispatchQueue.concurrentPerform(iterations: threads) { _ in
                let sink = dnal_fma_chains(iterations)
                if sink == 12345 { print("#") }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = max(best, flops / seconds / 1e9)
        }
        return best
    }
}
