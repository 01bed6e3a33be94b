/// The store as safetensors, keyed by parameter name, in PyTorch's layouts so that files load
/// into the equivalent PyTorch modules: conv weights `[Cout, Cin/g, K, K]` (dnalc keeps
/// `[K, K, Cin/g, Cout]`), linear weights `[Out, In]` (dnalc keeps `[In, Out]`); vectors as they are.
extension ParameterStore {
    /// Every tensor, trainable and buffer, converted to PyTorch's layout.
    public func exportTensors() -> [String: SafeTensors.Tensor] {
        var result: [String: SafeTensors.Tensor] = [:]
        for e in entries {
            let values = values(of: e.name)
            result[e.name] = Self.toPyTorch(e, values)
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
            let expected = Self.toPyTorch(e, []).shape
            guard t.shape == expected else {
                throw RuntimeError("\(source): tensor '\(e.name)' has shape \(t.shape), this network needs \(expected)")
            }
        }
        if let extra = tensors.keys.sorted().first(where: { entry($0) == nil }) {
            throw RuntimeError("\(source) has a tensor '\(extra)' that this network does not have; are these weights for another network?")
        }
        for e in entries {
            let converted = Self.fromPyTorch(e, tensors[e.name]!.values)
            guard converted.allSatisfy({ $0.isFinite }) else {
                throw RuntimeError("\(source): tensor '\(e.name)' contains NaN or infinite values")
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

    static func toPyTorch(_ e: ParameterEntry, _ v: [Float]) -> SafeTensors.Tensor {
        switch (e.group, e.shape.count) {
        case (.conv, 4) where e.name.hasSuffix(".weight"):
            let (k1, k2, ci, co) = (e.shape[0], e.shape[1], e.shape[2], e.shape[3])
            var out = [Float]()
            if !v.isEmpty {
                out = [Float](repeating: 0, count: v.count)
                for a in 0..<k1 { for b in 0..<k2 { for i in 0..<ci { for o in 0..<co {
                    out[((o * ci + i) * k1 + a) * k2 + b] = v[((a * k2 + b) * ci + i) * co + o]
                } } } }
            }
            return SafeTensors.Tensor(shape: [co, ci, k1, k2], values: out)
        case (.linear, 2) where e.name.hasSuffix(".weight"):
            let (inF, outF) = (e.shape[0], e.shape[1])
            var out = [Float]()
            if !v.isEmpty {
                out = [Float](repeating: 0, count: v.count)
                for i in 0..<inF { for o in 0..<outF { out[o * inF + i] = v[i * outF + o] } }
            }
            return SafeTensors.Tensor(shape: [outF, inF], values: out)
        default:
            return SafeTensors.Tensor(shape: e.shape, values: v)
        }
    }

    static func fromPyTorch(_ e: ParameterEntry, _ v: [Float]) -> [Float] {
        switch (e.group, e.shape.count) {
        case (.conv, 4) where e.name.hasSuffix(".weight"):
            let (k1, k2, ci, co) = (e.shape[0], e.shape[1], e.shape[2], e.shape[3])
            var out = [Float](repeating: 0, count: v.count)
            for a in 0..<k1 { for b in 0..<k2 { for i in 0..<ci { for o in 0..<co {
                out[((a * k2 + b) * ci + i) * co + o] = v[((o * ci + i) * k1 + a) * k2 + b]
            } } } }
            return out
        case (.linear, 2) where e.name.hasSuffix(".weight"):
            let (inF, outF) = (e.shape[0], e.shape[1])
            var out = [Float](repeating: 0, count: v.count)
            for i in 0..<inF { for o in 0..<outF { out[i * outF + o] = v[o * inF + i] } }
            return out
        default:
            return v
        }
    }
}
