/// Shape inference: what each op produces from its inputs, or why it cannot.
extension Op {
    /// The output shape for `inputs` (each with the producing node's name for messages).
    /// - Throws: `GraphError` naming the offending input and the rule it breaks.
    public func outputShape(inputs: [(name: String, shape: Shape)]) throws(GraphError) -> Shape {
        if case .input = self { throw GraphError("'input' cannot be used as a layer") }
        guard let first = inputs.first else { throw GraphError("\(kindName) has no input") }
        if !takesManyInputs && inputs.count != 1 {
            throw GraphError("\(kindName) takes exactly one input, got \(inputs.count)")
        }
        let x = first.shape
        switch self {
        case .input:
            return x
        case .conv(let c):
            let (h, w) = try Self.windowOutput(x, kernel: c.kernel, stride: c.stride, padding: c.padding,
                                              what: "conv", from: first.name)
            guard c.outChannels >= 1 else { throw GraphError("conv needs at least 1 output channel") }
            guard c.groups >= 1 else { throw GraphError("conv groups must be at least 1") }
            guard x.channels % c.groups == 0 else {
                throw GraphError("conv groups \(c.groups) do not divide the \(x.channels) input channels of '\(first.name)'")
            }
            guard c.outChannels % c.groups == 0 else {
                throw GraphError("conv groups \(c.groups) do not divide its \(c.outChannels) output channels")
            }
            return Shape(channels: c.outChannels, height: h, width: w)
        case .pool(let p):
            let (h, w) = try Self.windowOutput(x, kernel: p.kernel, stride: p.stride, padding: p.padding,
                                              what: p.kind == .max ? "maxpool" : "avgpool", from: first.name)
            guard p.padding * 2 <= p.kernel else {
                throw GraphError("pool padding \(p.padding) must be at most half the kernel \(p.kernel)")
            }
            return Shape(channels: x.channels, height: h, width: w)
        case .globalAvgPool:
            guard x.isFeatureMap else { throw GraphError("gap needs a [C,H,W] input, '\(first.name)' is \(x)") }
            return Shape(channels: x.channels, height: 1, width: 1)
        case .gate:
            guard x.isFeatureMap else { throw GraphError("a gate needs a [C,H,W] input, '\(first.name)' is \(x)") }
            return x
        case .batchNorm, .activation, .dropout, .identity:
            return x
        case .flatten:
            return Shape(features: x.elementCount)
        case .linear(let l):
            guard l.outFeatures >= 1 else { throw GraphError("linear needs at least 1 output feature") }
            return Shape(features: l.outFeatures)
        case .add:
            guard inputs.count >= 2 else { throw GraphError("add needs at least two inputs, got \(inputs.count)") }
            for other in inputs.dropFirst() where other.shape != x {
                throw GraphError("cannot add '\(other.name)' \(other.shape) to '\(first.name)' \(x): shapes differ")
            }
            return x
        case .concat:
            guard inputs.count >= 2 else { throw GraphError("concat needs at least two inputs, got \(inputs.count)") }
            guard x.isFeatureMap else { throw GraphError("concat needs [C,H,W] inputs, '\(first.name)' is \(x)") }
            var channels = 0
            for i in inputs {
                guard i.shape.isFeatureMap, i.shape.height == x.height, i.shape.width == x.width else {
                    throw GraphError("cannot concat '\(i.name)' \(i.shape) with '\(first.name)' \(x): H and W differ")
                }
                channels += i.shape.channels
            }
            return Shape(channels: channels, height: x.height, width: x.width)
        case .gather(let g):
            if let problem = channelListProblem(g.channels, width: x.channels) {
                throw GraphError("gather from '\(first.name)' \(x): \(problem)")
            }
            return x.isFeatureMap ? Shape(channels: g.channels.count, height: x.height, width: x.width)
                                  : Shape(features: g.channels.count)
        case .scatter(let s):
            guard s.channels.count == x.channels else {
                throw GraphError("scatter lists \(s.channels.count) channels but '\(first.name)' \(x) has \(x.channels)")
            }
            if let problem = channelListProblem(s.channels, width: s.outChannels) {
                throw GraphError("scatter of '\(first.name)' into \(s.outChannels) channels: \(problem)")
            }
            return x.isFeatureMap ? Shape(channels: s.outChannels, height: x.height, width: x.width)
                                  : Shape(features: s.outChannels)
        case .zeroPad(let z):
            guard x.isFeatureMap else { throw GraphError("zeropad needs a [C,H,W] input, '\(first.name)' is \(x)") }
            guard z.stride >= 1 else { throw GraphError("zeropad stride must be at least 1") }
            guard z.outChannels >= x.channels else {
                throw GraphError("zeropad cannot shrink '\(first.name)' from \(x.channels) to \(z.outChannels) channels")
            }
            guard z.offset >= 0, z.offset + x.channels <= z.outChannels else {
                throw GraphError("zeropad offset \(z.offset) does not fit \(x.channels) channels into \(z.outChannels)")
            }
            let h = (x.height - 1) / z.stride + 1
            let w = (x.width - 1) / z.stride + 1
            return Shape(channels: z.outChannels, height: h, width: w)
        }
    }

    /// Output H and W of a strided window op; rejects windows larger than the padded input.
    static func windowOutput(_ x: Shape, kernel: Int, stride: Int, padding: Int, what: String,
                             from name: String) throws(GraphError) -> (Int, Int) {
        guard x.isFeatureMap else { throw GraphError("\(what) needs a [C,H,W] input, '\(name)' is \(x)") }
        guard kernel >= 1 else { throw GraphError("\(what) kernel must be at least 1") }
        guard stride >= 1 else { throw GraphError("\(what) stride must be at least 1") }
        guard padding >= 0 else { throw GraphError("\(what) padding must not be negative") }
        let ph = x.height + 2 * padding, pw = x.width + 2 * padding
        guard kernel <= ph, kernel <= pw else {
            throw GraphError("\(what) kernel \(kernel) is larger than its padded input \(ph)x\(pw) (from '\(name)' \(x))")
        }
        return ((ph - kernel) / stride + 1, (pw - kernel) / stride + 1)
    }
}
