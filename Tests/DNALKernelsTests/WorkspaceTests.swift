import DNALKernels
import Testing

/// Workspace buffers start on cache-line boundaries (a vector load of a row then never straddles
/// two lines), the large ones on 2 MB boundaries like the executor's arena (huge pages), at
/// every size a slot grows through.
@Suite("Workspace buffers")
struct WorkspaceTests {
    @Test("small and large buffers are aligned, before and after growing")
    func alignment() {
        let w = Workspace()
        for floats in [1, 100, 4096, 1 << 16, 1 << 18, 1 << 20, 3 << 20] {
            let p = UInt(bitPattern: w.buffer(3, floats: floats))
            #expect(p % 64 == 0, "\(floats) floats at \(p)")
            if floats >= 1 << 18 { #expect(p % (2 << 20) == 0, "\(floats) floats at \(p)") }
            // the whole room is writable
            w.buffer(3, floats: floats).update(repeating: 1, count: floats)
        }
        #expect(w.reservedFloats >= 3 << 20)
    }
}
