import DNALKernels

extension Workspace {
    /// A workspace whose per-worker scratch and partial buffers (a chain's tiles) are already large and full of NaNs, as a
    /// workspace shared by a network's layers holds what the layer before left there. A kernel
    /// that reads scratch it did not write (a band's padding, a transformed row's border) then
    /// turns its output into NaNs instead of passing on a fresh, zeroed allocation.
    static func poisoned(workers: Int = 2, floats: Int = 1 << 20) -> Workspace {
        let w = Workspace()
        for t in 0..<workers {
            w.buffer(WorkspaceSlot.scratch(t), floats: floats).initialize(repeating: .nan, count: floats)
            w.buffer(WorkspaceSlot.partial(t), floats: floats).initialize(repeating: .nan, count: floats)
        }
        return w
    }
}
