/// Every parameter and buffer of a network in two flat allocations (trainables, with a
/// parallel gradient array, and buffers), addressed by name. Optimizers and checkpoints see flat
/// ranges; kernels see pointers.
public final class ParameterStore: @unchecked Sendable {
    public private(set) var entries: [ParameterEntry] = []
    private var index: [String: Int] = [:]
    /// Trainable values, then their gradients (same offsets).
    public let values: UnsafeMutablePointer<Float>
    public let gradients: UnsafeMutablePointer<Float>
    /// Running statistics and masks.
    public let buffers: UnsafeMutablePointer<Float>
    public let trainableCount: Int
    public let bufferCount: Int

    /// Allocates room for `specs` (name, group, role, shape), zero-filled.
    init(_ specs: [(String, ParameterGroup, TensorRole, [Int])]) {
        var trainable = 0, buffer = 0
        for (name, group, role, shape) in specs {
            let count = shape.reduce(1, *)
            let offset = role == .trainable ? trainable : buffer
            if role == .trainable { trainable += count } else { buffer += count }
            index[name] = entries.count
            entries.append(ParameterEntry(name: name, group: group, role: role, shape: shape, offset: offset))
        }
        trainableCount = trainable
        bufferCount = buffer
        values = .allocate(capacity: max(trainable, 1))
        gradients = .allocate(capacity: max(trainable, 1))
        buffers = .allocate(capacity: max(buffer, 1))
        values.initialize(repeating: 0, count: max(trainable, 1))
        gradients.initialize(repeating: 0, count: max(trainable, 1))
        buffers.initialize(repeating: 0, count: max(buffer, 1))
    }

    deinit {
        values.deallocate()
        gradients.deallocate()
        buffers.deallocate()
    }

    /// The entry called `name`.
    public func entry(_ name: String) -> ParameterEntry? { index[name].map { entries[$0] } }

    /// Pointer to the values of `name` (trainable or buffer).
    public func pointer(_ name: String) -> UnsafeMutablePointer<Float> {
        let e = entries[index[name]!]
        return (e.role == .trainable ? values : buffers) + e.offset
    }

    /// Pointer to the gradient of trainable `name`.
    public func gradient(_ name: String) -> UnsafeMutablePointer<Float> {
        let e = entries[index[name]!]
        precondition(e.role == .trainable, "\(name) has no gradient")
        return gradients + e.offset
    }

    /// A copy of the values of `name`.
    public func values(of name: String) -> [Float] {
        let e = entries[index[name]!]
        return Array(UnsafeBufferPointer(start: pointer(name), count: e.count))
    }

    /// Overwrites the values of `name`; the count must match.
    public func set(_ name: String, _ newValues: [Float]) {
        let e = entries[index[name]!]
        precondition(newValues.count == e.count, "\(name): \(newValues.count) values for \(e.count)")
        pointer(name).update(from: newValues, count: e.count)
    }

    /// Sets every gradient to zero.
    public func zeroGradients() {
        gradients.update(repeating: 0, count: max(trainableCount, 1))
    }

    /// Trainable entries of the given groups.
    public func trainables(in groups: Set<ParameterGroup>) -> [ParameterEntry] {
        entries.filter { $0.role == .trainable && groups.contains($0.group) }
    }
}
