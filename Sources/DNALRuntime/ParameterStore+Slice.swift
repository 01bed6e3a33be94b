import DNALCore

extension ParameterStore {
    /// Fills this store from `source`: each tensor takes, from the source tensor of the same
    /// name, the elements at the given indices along each axis of its PyTorch-layout shape
    /// (`slices`, as the pruner gives them); a tensor without slices is copied whole. Weights are inherited, never re-initialised.
    /// - Throws: when a tensor is missing from `source` or the slices do not give this store's shape.
    public func copySlices(from source: ParameterStore, slices: [String: [[Int]]]) throws {
        for e in entries {
            guard let s = source.entry(e.name) else { throw RuntimeError("the source weights have no tensor '\(e.name)'") }
            let axes = slices[e.name].map { e.spec.storageSlices($0) } ?? s.shape.map { Array(0..<$0) }
            guard axes.count == s.shape.count, axes.map(\.count) == e.shape,
                  zip(axes, s.shape).allSatisfy({ axis, n in axis.allSatisfy { $0 >= 0 && $0 < n } }) else {
                throw RuntimeError("cannot slice '\(e.name)' \(s.shape) into \(e.shape)")
            }
            var strides = [Int](repeating: 1, count: s.shape.count)
            for a in stride(from: s.shape.count - 2, through: 0, by: -1) { strides[a] = strides[a + 1] * s.shape[a + 1] }
            let from = source.pointer(e.name), to = pointer(e.name)
            var position = [Int](repeating: 0, count: axes.count)
            for i in 0..<e.count {
                var offset = 0
                for a in 0..<axes.count { offset += axes[a][position[a]] * strides[a] }
                to[i] = from[offset]
                var a = axes.count - 1
                while a >= 0 {
                    position[a] += 1
                    if position[a] < axes[a].count { break }
                    position[a] = 0
                    a -= 1
                }
            }
        }
    }
}
