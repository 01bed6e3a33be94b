import DNALCore
import DNALTestSupport
import Testing
@testable import DNALSyntax

/// Property tests over generated networks: the parser's shapes agree with a naive re-computation
/// that counts window positions one by one instead of using the closed-form size formula.
@Suite("Generated networks")
struct GeneratedNetworkTests {
    /// How many positions a window of `kernel` visits over `size + 2*padding` cells at `stride`.
    func positions(_ size: Int, kernel: Int, stride: Int, padding: Int) -> Int {
        var count = 0, start = -padding
        while start + kernel <= size + padding {
            count += 1
            start += stride
        }
        return count
    }

    func naiveShape(_ node: Node, _ g: Graph) -> Shape {
        let inputs = node.inputs.map { g.nodes[$0].shape }
        let x = inputs.first ?? node.shape
        switch node.op {
        case .input: return node.shape
        case .conv(let c):
            return Shape(channels: c.outChannels, height: positions(x.height, kernel: c.kernel, stride: c.stride, padding: c.padding),
                         width: positions(x.width, kernel: c.kernel, stride: c.stride, padding: c.padding))
        case .pool(let p):
            return Shape(channels: x.channels, height: positions(x.height, kernel: p.kernel, stride: p.stride, padding: p.padding),
                         width: positions(x.width, kernel: p.kernel, stride: p.stride, padding: p.padding))
        case .zeroPad(let z):
            return Shape(channels: z.outChannels, height: Array(stride(from: 0, to: x.height, by: z.stride)).count,
                         width: Array(stride(from: 0, to: x.width, by: z.stride)).count)
        case .globalAvgPool: return Shape(channels: x.channels, height: 1, width: 1)
        case .flatten: return Shape(features: x.dims.reduce(1, *))
        case .linear(let l): return Shape(features: l.outFeatures)
        case .concat: return Shape(channels: inputs.map(\.channels).reduce(0, +), height: x.height, width: x.width)
        case .gather(let g): return Shape(x.isFeatureMap ? [g.channels.count, x.height, x.width] : [g.channels.count])
        case .scatter(let s): return Shape(x.isFeatureMap ? [s.outChannels, x.height, x.width] : [s.outChannels])
        case .batchNorm, .gate, .activation, .dropout, .identity, .add: return x
        }
    }

    @Test("shapes agree with window counting", arguments: 0..<200)
    func shapes(seed: Int) throws {
        let net = RandomNetwork(seed: UInt64(seed))
        let g: Graph
        do {
            g = try parse(net.yaml)
        } catch {
            Issue.record("generated network \(seed) failed to parse: \(error)\n\(net.yaml)")
            return
        }
        #expect(verify(g).isEmpty)
        for node in g.nodes {
            #expect(node.shape == naiveShape(node, g), "\(node.name) in network \(seed)")
        }
    }
}
