/// One tensor a layer owns: its name, shape, role, optimiser group, how the engine stores it and
/// how pruning slices it. Built only by `ParameterTable`, from the op; every component that
/// allocates, loads, saves, slices, masks or exports parameters asks for these instead of
/// composing names or layouts itself.
public struct ParameterSpec: Sendable, Hashable {
    /// The node that owns the tensor.
    public let node: Int
    /// The owning node's name.
    public let layer: String
    public let role: ParameterRole
    public let group: ParameterGroup
    /// Shape in PyTorch's layout, the one weights files and generated code use: conv
    /// `[Cout, Cin/groups, K, K]`, linear `[Out, In]`, vectors `[C]`.
    public let shape: [Int]
    /// What each axis of `shape` indexes, which says how pruning slices it.
    public let axes: [ChannelAxis]
    /// How the engine keeps it in memory.
    public let layout: StorageLayout

    /// `layer.suffix`, the key in weights files.
    public var name: String { role.name(of: layer) }
    /// Element count.
    public var count: Int { shape.reduce(1, *) }
    /// Whether the optimiser learns it.
    public var isTrainable: Bool { role.isTrainable }

    /// Shape in the engine's layout (conv `[K, K, Cin/groups, Cout]`, linear `[In, Out]`).
    public var storageShape: [Int] { storageAxes.map { shape[$0] } }

    /// The kept indices along each axis of `shape` when the layer keeps output channels
    /// `outputs` and reads input channels `inputs` (original indices, in order).
    public func slices(outputs: [Int], inputs: [Int]) -> [[Int]] {
        zip(axes, shape).map { axis, size in
            switch axis {
            case .outputs: return outputs
            case .inputs: return inputs
            case .inputFeatures(let spatial): return inputs.flatMap { c in (0..<spatial).map { c * spatial + $0 } }
            case .fixed: return Array(0..<size)
            }
        }
    }
}

/// What one axis of a parameter indexes.
public enum ChannelAxis: Sendable, Hashable {
    /// The layer's output channels (a conv's filters, a batch norm's or gate's channels).
    case outputs
    /// The layer's input channels (a dense conv's columns).
    case inputs
    /// A linear layer's input features read from a `[C, H, W]` map flattened in C, H, W order:
    /// channel c owns features `c * spatial ..< (c + 1) * spatial`.
    case inputFeatures(spatial: Int)
    /// Never sliced: kernel taps, a grouped conv's per-group inputs, a linear layer's outputs.
    case fixed
}

/// How the engine orders a tensor's elements, against PyTorch's layout.
public enum StorageLayout: Sendable, Hashable {
    /// As PyTorch does.
    case pytorch
    /// Conv weights as `[K, K, Cin/groups, Cout]`, so a tap's row of output channels is contiguous.
    case convTapsFirst
    /// Linear weights as `[In, Out]`.
    case linearInputsFirst

    /// For each storage axis, the PyTorch axis it is.
    public var storageAxes: [Int] {
        switch self {
        case .pytorch: return []  // the identity, whatever the rank (`ParameterSpec.storageAxes`)
        case .convTapsFirst: return [2, 3, 1, 0]
        case .linearInputsFirst: return [1, 0]
        }
    }
}

extension ParameterSpec {
    /// `values` (PyTorch layout) in the engine's layout.
    public func toStorage(_ values: [Float]) -> [Float] { permute(values, from: shape, axes: storageAxes) }

    /// `values` (engine layout) in PyTorch's layout.
    public func fromStorage(_ values: [Float]) -> [Float] {
        let axes = storageAxes
        var inverse = [Int](repeating: 0, count: axes.count)
        for (i, a) in axes.enumerated() { inverse[a] = i }
        return permute(values, from: axes.map { shape[$0] }, axes: inverse)
    }

    /// `slices` (per PyTorch axis) reordered per storage axis.
    public func storageSlices(_ slices: [[Int]]) -> [[Int]] { storageAxes.map { slices[$0] } }

    private var storageAxes: [Int] { layout == .pytorch ? Array(shape.indices) : layout.storageAxes }
}

/// Transposes `values` of shape `shape` so that result axis i is source axis `axes[i]`.
private func permute(_ values: [Float], from shape: [Int], axes: [Int]) -> [Float] {
    guard axes != Array(axes.indices), !values.isEmpty else { return values }
    var strides = [Int](repeating: 1, count: shape.count)
    for a in stride(from: shape.count - 2, through: 0, by: -1) { strides[a] = strides[a + 1] * shape[a + 1] }
    let outShape = axes.map { shape[$0] }, outStrides = axes.map { strides[$0] }
    var out = [Float](repeating: 0, count: values.count)
    var position = [Int](repeating: 0, count: axes.count)
    var source = 0
    // raw pointers: checkpoints permute every weight, and debug builds check each array access
    out.withUnsafeMutableBufferPointer { o in
        values.withUnsafeBufferPointer { v in
            position.withUnsafeMutableBufferPointer { p in
                for i in 0..<o.count {
                    o[i] = v[source]
                    var a = axes.count - 1
                    while a >= 0 {
                        p[a] += 1
                        source += outStrides[a]
                        if p[a] < outShape[a] { break }
                        source -= outStrides[a] * outShape[a]
                        p[a] = 0
                        a -= 1
                    }
                }
            }
        }
    }
    return out
}
