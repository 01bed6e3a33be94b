import DNALCore

/// Writes a network and its weights as a standard ONNX model (opset 13, batch dimension symbolic)
/// in inference form: batch norms explicit with their running statistics, gates as a
/// multiplication by their masks (the hard-gated network, as `dnalc eval` runs it), dropout as
/// identity. Every IR op maps to standard operators only, so any ONNX runtime can load the file.
public enum ONNXExporter {
    /// The opset written.
    public static let opset = 13

    /// The model's bytes. `weights` gives each tensor of the graph's `ParameterTable` in PyTorch's
    /// layout (what ONNX's Conv and Gemm take), e.g. as a safetensors file holds it.
    /// `metadata` goes into the model's metadata_props.
    public static func export(_ graph: Graph, weights: (ParameterSpec) -> [Float], source: String = "",
                              metadata: [String: String] = [:]) -> [UInt8] {
        let table = ParameterTable(graph)
        var nodes: [ONNX.Node] = [], initializers: [ONNX.Tensor] = []
        var value = [Int: String]()
        var constants = Set<String>()

        func weight(_ node: Node, _ role: ParameterRole, dims: [Int]? = nil) -> String {
            let spec = table.spec(node.id, role)!
            initializers.append(ONNX.Tensor(name: spec.name, dims: dims ?? spec.shape, floats: weights(spec)))
            return spec.name
        }
        func constant(_ name: String, floats: [Float] = [], int64s: [Int] = [], dims: [Int]) -> String {
            if constants.insert(name).inserted {
                initializers.append(ONNX.Tensor(name: name, dims: dims, floats: floats, int64s: int64s))
            }
            return name
        }

        for node in graph.nodes {
            let name = node.name
            let x = node.inputs.map { value[$0]! }
            func emit(_ op: String, _ inputs: [String], _ attributes: [ONNX.Attribute] = []) {
                nodes.append(ONNX.Node(op: op, name: name, inputs: inputs, outputs: [name], attributes: attributes))
            }
            value[node.id] = name
            switch node.op {
            case .input:
                value[node.id] = "input"
            case .conv(let c):
                var inputs = [x[0], weight(node, .weight)]
                if c.bias { inputs.append(weight(node, .bias)) }
                emit("Conv", inputs, [.ints("kernel_shape", [c.kernel, c.kernel]), .ints("strides", [c.stride, c.stride]),
                                      .ints("pads", [c.padding, c.padding, c.padding, c.padding]), .ints("dilations", [1, 1]),
                                      .int("group", c.groups)])
            case .batchNorm(let b):
                emit("BatchNormalization", [x[0], weight(node, .normScale), weight(node, .normShift),
                                            weight(node, .runningMean), weight(node, .runningVariance)],
                     [.float("epsilon", Float(b.epsilon))])
            case .gate:
                emit("Mul", [x[0], weight(node, .gateMask, dims: [node.shape.channels, 1, 1])])
            case .activation(.relu):
                emit("Relu", x)
            case .activation(.relu6):
                emit("Clip", [x[0], constant("dnalc.zero", floats: [0], dims: []), constant("dnalc.six", floats: [6], dims: [])])
            case .pool(let p):
                var attributes: [ONNX.Attribute] = [.ints("kernel_shape", [p.kernel, p.kernel]), .ints("strides", [p.stride, p.stride]),
                                                    .ints("pads", [p.padding, p.padding, p.padding, p.padding])]
                if p.kind == .avg { attributes.append(.int("count_include_pad", 1)) }  // zeros count in the divisor
                emit(p.kind == .max ? "MaxPool" : "AveragePool", x, attributes)
            case .globalAvgPool:
                emit("GlobalAveragePool", x)
            case .linear(let l):
                var a = x[0]
                if graph.nodes[node.inputs[0]].shape.isFeatureMap {
                    nodes.append(ONNX.Node(op: "Flatten", name: name + ".flatten", inputs: [a], outputs: [name + ".flatten"],
                                           attributes: [.int("axis", 1)]))
                    a = name + ".flatten"
                }
                var inputs = [a, weight(node, .weight)]
                if l.bias { inputs.append(weight(node, .bias)) }
                emit("Gemm", inputs, [.int("transB", 1)])
            case .dropout, .identity:
                emit("Identity", x)
            case .flatten:
                emit("Flatten", x, [.int("axis", 1)])
            case .add:
                emit(x.count == 2 ? "Add" : "Sum", x)
            case .concat:
                emit("Concat", x, [.int("axis", 1)])
            case .zeroPad(let z):
                // option A: x[:, :, ::s, ::s], then zero channels around the input's
                var a = x[0]
                if z.stride > 1 {
                    let s = name + ".subsample"
                    nodes.append(ONNX.Node(op: "Slice", name: s, inputs: [
                        a, constant("dnalc.zeros2", int64s: [0, 0], dims: [2]), constant("dnalc.ends2", int64s: [Int(Int32.max), Int(Int32.max)], dims: [2]),
                        constant("dnalc.axes23", int64s: [2, 3], dims: [2]), constant("dnalc.steps\(z.stride)", int64s: [z.stride, z.stride], dims: [2]),
                    ], outputs: [s]))
                    a = s
                }
                let inChannels = graph.nodes[node.inputs[0]].shape.channels
                emit("Pad", [a, constant(name + ".pads", int64s: [0, z.offset, 0, 0, 0, z.outChannels - inChannels - z.offset, 0, 0], dims: [8])])
            case .gather(let g):
                emit("Gather", [x[0], constant(name + ".index", int64s: g.channels, dims: [g.channels.count])], [.int("axis", 1)])
            case .scatter(let sc):
                // one zero channel appended after the input's, then every output channel picks its
                // source: the input channel scattered there, or that zero channel
                let inChannels = sc.channels.count, rank = node.shape.isFeatureMap ? 4 : 2
                var pads = [Int](repeating: 0, count: 2 * rank)
                pads[rank + 1] = 1
                let padded = name + ".padded"
                nodes.append(ONNX.Node(op: "Pad", name: padded, inputs: [x[0], constant(name + ".pads", int64s: pads, dims: [pads.count])],
                                       outputs: [padded]))
                var source = [Int](repeating: inChannels, count: sc.outChannels)
                for (k, c) in sc.channels.enumerated() { source[c] = k }
                emit("Gather", [padded, constant(name + ".index", int64s: source, dims: [source.count])], [.int("axis", 1)])
            }
        }
        let input = graph.inputShape.dims
        let model = ONNX.Model(
            name: graph.name, opset: opset, nodes: nodes, initializers: initializers,
            inputs: [ONNX.ValueInfo(name: "input", dims: [nil] + input.map { $0 })],
            outputs: [ONNX.ValueInfo(name: value[graph.output]!, dims: [nil, graph.classes])],
            docString: "\(graph.name), exported by dnalc\(source.isEmpty ? "" : " from \(source)") in inference form (hard gates)",
            metadata: metadata)
        return model.encode()
    }
}
