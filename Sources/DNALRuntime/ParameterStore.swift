import DNALCore

/// Every parameter and buffer of a network in two flat allocations (trainables, with a
/// parallel gradient array, and buffers), laid out as its `ParameterTable` says and addressed by
/// name or by (node, role). Optimizers and checkpoints see flat ranges; kernels see pointers.
public final class ParameterStore: @unchecked Sendable {
    public private(set) var entries: [ParameterEntry] = []
    private var index: [String: Int] = [:]
    /// The table the store was allocated from.
    public let table: ParameterTable
    /// Trainable values, then their gradients (same offsets).
    public let values: UnsafeMutablePointer<Float>
    public let gradients: UnsafeMutablePointer<Float>
    /// Running statistics and masks.
    public let buffers: UnsafeMutablePointer<Float>
    public let trainableCount: Int
    public let bufferCount: Int

    /// Allocates room for every tensor of `table`, zero-filled (`initialize(seed:)` or a load
    /// gives them values). Needs no executor: pruned networks and exporters allocate this way.
    public init(_ table: ParameterTable) {
        self.table = table
        var trainable = 0, buffer = 0
        for spec in table.specs {
            let offset = spec.isTrainable ? trainable : buffer
            if spec.isTrainable { trainable += spec.count } else { buffer += spec.count }
            index[spec.name] = entries.count
            entries.append(ParameterEntry(spec: spec, offset: offset))
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

    /// The store of `graph`'s parameters.
    public convenience init(graph: Graph) { self.init(ParameterTable(graph)) }

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
        return (e.isTrainable ? values : buffers) + e.offset
    }

    /// Pointer to the gradient of trainable `name`.
    public func gradient(_ name: String) -> UnsafeMutablePointer<Float> {
        let e = entries[index[name]!]
        precondition(e.isTrainable, "\(name) has no gradient")
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
        entries.filter { $0.isTrainable && groups.contains($0.group) }
    }

    /// The name of node `node`'s tensor of `role` (it must have one).
    public func name(_ node: Int, _ role: ParameterRole) -> String {
        guard let spec = table.spec(node, role) else { preconditionFailure("node \(node) has no \(role) tensor") }
        return spec.name
    }

    /// Pointer to node `node`'s tensor of `role`.
    public func pointer(_ node: Int, _ role: ParameterRole) -> UnsafeMutablePointer<Float> { pointer(name(node, role)) }

    /// A copy of node `node`'s tensor of `role`.
    public func values(of node: Int, _ role: ParameterRole) -> [Float] { values(of: name(node, role)) }

    /// Entries of the given role (every gate's alphas, every mask, ...).
    public func entries(_ role: ParameterRole) -> [ParameterEntry] { entries.filter { $0.spec.role == role } }
}

/// One tensor inside the store: its table entry and where it lives.
public struct ParameterEntry: Sendable, Hashable {
    public let spec: ParameterSpec
    /// Offset in floats inside the store (trainables and buffers have separate allocations).
    public let offset: Int
    /// `node.weight`, `node.bias`, `bn.running_mean`, `gate.alpha`, `gate.mask`, ...
    public var name: String { spec.name }
    public var group: ParameterGroup { spec.group }
    public var isTrainable: Bool { spec.isTrainable }
    /// Shape in dnalc's layout (conv `[K, K, Cin/g, Cout]`, linear `[In, Out]`).
    public var shape: [Int] { spec.storageShape }
    public var count: Int { spec.count }
}
