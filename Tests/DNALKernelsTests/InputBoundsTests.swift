import Foundation
import DNALKernels
import DNALTestSupport
import Testing

/// Kernels that load whole vectors where a row's last ones would run past it must stop at the
/// input's end: here the input ends where an unreadable page begins, so a read past it kills the
/// test process instead of passing unnoticed.
@Suite("Reads within the input")
struct InputBoundsTests {
    /// Floats at the end of a mapping whose next page cannot be read; `body` gets the floats.
    static func withGuardedFloats(_ count: Int, _ body: (UnsafeMutablePointer<Float>) -> Void) throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let dataPages = (count * MemoryLayout<Float>.size + page - 1) / page
        let length = (dataPages + 1) * page
        let base = try #require(mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        try #require(base != UnsafeMutableRawPointer(bitPattern: -1))
        defer { munmap(base, length) }
        try #require(mprotect(base + dataPages * page, page, PROT_NONE) == 0)
        let end = (base + dataPages * page).assumingMemoryBound(to: Float.self)
        body(end - count)
    }

    /// The AVX2 narrow path copies input rows with whole-vector loads, each reading 8 floats from
    /// a pixel's first channel. A grouped conv's second group starts 5 floats into each pixel of
    /// 10, so the last pixel's load would end 3 floats past the tensor; a dense 5-channel input
    /// (ldx 5) is the plain case. Outputs of 5 per group: the narrow path's shape.
    @Test("the narrow path's row copy stops at the input's end", arguments: [
        ConvGeometry(batch: 1, inHeight: 4, inWidth: 16, inChannels: 10, outChannels: 10, kernel: 3, padding: 1, groups: 2),
        ConvGeometry(batch: 2, inHeight: 3, inWidth: 24, inChannels: 5, outChannels: 5, kernel: 3, padding: 1),
        ConvGeometry(batch: 1, inHeight: 4, inWidth: 16, inChannels: 3, outChannels: 5, kernel: 3, padding: 1),
    ])
    func narrowRowCopy(g: ConvGeometry) throws {
        let x = Numerics.random(g.inputCount, seed: 21).map(Float.init)
        let w = Numerics.random(g.weightCount, seed: 22, scale: 0.5).map(Float.init)
        var expected = [Float](repeating: 0, count: g.outputCount)
        ConvolutionReference.forward(g, x: x, weight: w, bias: nil, y: &expected)
        try Self.withGuardedFloats(g.inputCount) { guarded in
            guarded.update(from: x, count: x.count)
            for isa in KernelISA.supported {
                var y = [Float](repeating: .nan, count: g.outputCount)
                Convolution.forward(g, x: guarded, weight: w, bias: nil, y: &y, parallel: Parallel(threads: 1, isa: isa),
                                    workspace: .poisoned())
                let m = Numerics.firstMismatch(y, expected, rtol: 1e-4, atol: 1e-5 * Double(9 * g.inPerGroup + 1))
                #expect(m == nil, "\(isa) \(g): \(String(describing: m))")
            }
        }
    }
}
