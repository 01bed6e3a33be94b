import DNALCore

/// The store as safetensors, keyed and shaped as its `ParameterTable` says: PyTorch's names and
/// layouts, so that files load into the equivalent PyTorch modules.
extension ParameterStore {
    /// The values of the tensor `spec` names, in PyTorch's layout.
    public func pytorchValues(_ spec: ParameterSpec) -> [Float] { spec.fromStorage(values(of: spec.name)) }

    /// Every tensor, trainable and buffer, converted to PyTorch's layout.
    public func exportTensors() -> [String: SafeTensors.Tensor] {
        var result: [String: SafeTensors.Tensor] = [:]
        for e in entries {
            result[e.name] = SafeTensors.Tensor(shape: e.spec.shape, values: e.spec.fromStorage(values(of: e.name)))
        }
        return result
    }

    /// Loads `tensors` (PyTorch layout). Every parameter must be present with its shape, and no
    /// other tensor may be: the first mismatch is the error.
    public func importTensors(_ tensors: [String: SafeTensors.Tensor], source: String) throws {
        for e in entries {
            guard let t = tensors[e.name] else {
                throw RuntimeError("\(source) has no tensor '\(e.name)'; are these weights for another network?")
            }
            let expected = e.spec.shape
            guard t.shape == expected else {
                throw RuntimeError("\(source): tensor '\(e.name)' has shape \(t.shape), this network needs \(expected)")
            }
        }
        if let extra = tensors.keys.sorted().first(where: { entry($0) == nil }) {
            throw RuntimeError("\(source) has a tensor '\(extra)' that this network does not have; are these weights for another network?")
        }
        for e in entries {
            let converted = e.spec.toStorage(tensors[e.name]!.values)
            guard converted.allSatisfy({ $0.isFinite }) else {
                throw RuntimeError("\(source): tensor '\(e.name)' contains NaN or infinite values")
            }
            if e.spec.role == .gateMask, let odd = converted.first(where: { $0 != 0 && $0 != 1 }) {
                throw RuntimeError("\(source): gate mask '\(e.name)' holds \(odd); a mask is 0 (closed) or 1 (open) per channel")
            }
            set(e.name, converted)
        }
    }

    /// Writes the store to `path` atomically.
    public func save(to path: String, metadata: [String: String] = [:]) throws {
        try SafeTensors.write(exportTensors(), metadata: metadata, to: path)
    }

    /// Loads the store from `path`.
    public func load(from path: String) throws {
        try importTensors(try SafeTensors.read(path).tensors, source: path)
    }
}
