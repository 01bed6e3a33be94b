/// Bounds on what one node may be, so that shape and cost arithmetic on user input can never
/// overflow: every attribute that is a count or a size is at most `maxAttribute` before any
/// arithmetic uses it, and every node's output, weights and multiply-accumulates per sample are
/// computed with overflow checks and held to `maxCount`. At that bound a million nodes still sum
/// to less than 2^60, so the cost passes' totals cannot overflow either. Real networks stay many
/// orders of magnitude below both (VGG16 on ImageNet: 1.5e10 MACs in all).
extension Op {
    /// Largest channel count, feature count, kernel, stride, padding, offset or group count.
    public static let maxAttribute = 1 << 24
    /// Largest per-sample element count of a tensor, and weights or MACs per sample of one node.
    public static let maxCount = 1 << 40

    /// Throws unless every size attribute of the op is within `maxAttribute`.
    func checkAttributes() throws(GraphError) {
        var values: [(String, Int)] = []
        switch self {
        case .conv(let c):
            values = [("out", c.outChannels), ("kernel", c.kernel), ("stride", c.stride), ("padding", c.padding), ("groups", c.groups)]
        case .pool(let p):
            values = [("kernel", p.kernel), ("stride", p.stride), ("padding", p.padding)]
        case .linear(let l):
            values = [("out", l.outFeatures)]
        case .zeroPad(let z):
            values = [("out", z.outChannels), ("stride", z.stride), ("offset", z.offset)]
        case .scatter(let s):
            values = [("out", s.outChannels)]
        case .gather(let g):
            values = [("channels", g.channels.count)]
        default:
            break
        }
        for (name, v) in values where v > Self.maxAttribute {
            throw GraphError("\(kindName) '\(name)' of \(v) is larger than \(Self.maxAttribute)")
        }
    }

    /// Throws when `output`, or the node's weights or MACs per sample, exceed `maxCount` (with
    /// `input` the first input's shape).
    func checkSizes(input: Shape, output: Shape) throws(GraphError) {
        func product(_ factors: [Int], _ what: String) throws(GraphError) -> Int {
            var p = 1
            for f in factors {
                let (r, overflow) = p.multipliedReportingOverflow(by: f)
                guard !overflow, r <= Self.maxCount else {
                    throw GraphError("\(kindName) \(what) exceeds \(Self.maxCount) (\(factors.map(String.init).joined(separator: " x ")))")
                }
                p = r
            }
            return p
        }
        _ = try product(output.dims, "output of \(output.dims.map(String.init).joined(separator: "x")) elements per sample")
        switch self {
        case .conv(let c):
            let weights = try product([c.outChannels, input.channels / max(c.groups, 1), c.kernel, c.kernel], "weights")
            _ = try product([weights, output.height, output.width], "multiply-accumulates per sample")
        case .linear(let l):
            _ = try product([l.outFeatures, input.elementCount], "weights")
        default:
            break
        }
    }
}
