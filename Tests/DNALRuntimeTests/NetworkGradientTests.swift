import DNALCore
import DNALKernels
import DNALRuntime
import DNALTestSupport
import Testing

/// Whole-network gradients against finite differences of the loss, on small networks that cover
/// every op: the directional derivative along random directions (one per parameter group and one
/// for the input) and a sample of single coordinates.
@Suite("Network gradients vs finite differences", .serialized)
struct NetworkGradientTests {
    static let networks: [(String, String)] = [
        ("small vgg", """
            network: vgg
            input: [3, 8, 8]
            classes: 3
            defaults: {conv: {bn: true, gate: true, act: relu}}
            layers:
              - conv: {name: c1, out: 4, bias: true}
              - conv: {name: c2, out: 5}
              - maxpool: {kernel: 2}
              - conv: {name: c3, out: 6}
              - avgpool: {kernel: 2}
              - flatten
              - linear: {name: fc1, out: 7, bn: true, act: relu}
              - dropout: {p: 0.3}
              - linear: {name: fc2, out: 3}
            """),
        ("resnet with option A", """
            network: res
            input: [3, 8, 8]
            classes: 4
            defaults: {conv: {bn: true, gate: true}}
            layers:
              - conv: {name: stem, out: 4, act: relu}
              - residual: {name: b1, act: relu, shortcut: zeropad, branch: [conv: {name: a, out: 4, act: relu}, conv: {name: b, out: 4}]}
              - residual: {name: b2, act: relu, shortcut: zeropad, branch: [conv: {name: a, out: 8, stride: 2, act: relu}, conv: {name: b, out: 8}]}
              - gap
              - linear: {name: fc, out: 4}
            """),
        ("inverted residual and projection", """
            network: mb
            input: [2, 7, 7]
            classes: 3
            defaults: {conv: {bn: true}}
            layers:
              - conv: {name: stem, out: 4, act: relu6}
              - residual: {name: b1, shortcut: identity, branch: [conv: {name: e, out: 8, kernel: 1, act: relu6}, conv: {name: dw, depthwise: true, gate: true, act: relu6}, conv: {name: p, out: 4, kernel: 1, gate: true}]}
              - residual: {name: b2, shortcut: project, branch: [conv: {name: e, out: 12, kernel: 1, act: relu6}, conv: {name: dw, depthwise: true, stride: 2, gate: true, act: relu6}, conv: {name: p, out: 6, kernel: 1, gate: true}]}
              - conv: {name: g, out: 6, kernel: 3, groups: 2}
              - gap
              - linear: {name: fc, out: 3}
            """),
        ("candidate ops and concat", """
            network: sup
            input: [3, 6, 6]
            classes: 3
            defaults: {conv: {bn: true}}
            layers:
              - conv: {name: stem, out: 4, act: relu}
              - choice: {name: cell, shortcut: identity, ops: [[conv: {name: x, out: 4, kernel: 1, gate: true}], [conv: {name: y, out: 8, kernel: 1}, conv: {name: z, depthwise: true, kernel: 5, gate: true}, conv: {name: w, out: 4, kernel: 1, gate: true}]]}
              - conv: {name: side, out: 3, kernel: 3, from: stem}
              - concat: {name: cat, from: [cell, side]}
              - gap
              - linear: {name: fc, out: 3}
            """),
        ("pruned residual with channel maps", """
            network: maps
            input: [3, 6, 6]
            classes: 3
            defaults: {conv: {bn: true, gate: true}}
            layers:
              - conv: {name: stem, out: 6, act: relu}
              - gather: {name: g1, channels: [0, 2, 3, 5]}
              - conv: {name: a, out: 4, act: relu}
              - conv: {name: b, out: 3}
              - scatter: {name: s1, out: 6, channels: [1, 2, 4]}
              - add: {name: sum, role: residual, from: [s1, stem]}
              - relu: {name: act}
              - gather: {name: g3, channels: [1, 3, 4]}
              - conv: {name: c, out: 2}
              - scatter: {name: s3, out: 6, channels: [0, 5]}
              - add: {name: sum2, role: residual, from: [s3, act]}
              - gather: {name: g4, channels: [0, 2, 5]}
              - conv: {name: d, out: 2}
              - scatter: {name: s4, out: 6, channels: [1, 4]}
              - add: {name: sum3, role: residual, from: [s4, sum2]}
              - relu: {name: act3}
              - gap
              - gather: {name: g2, channels: [0, 1, 3, 4, 5]}
              - flatten
              - scatter: {name: s2, out: 7, channels: [0, 2, 3, 5, 6]}
              - linear: {name: fc, out: 3}
            """),
        // a sum reading one tensor twice, then a plain residual sum: both shares of each input's
        // gradient must add up (the sum's backward pass writes two inputs' gradients at once)
        ("a tensor added to itself", """
            network: twice
            input: [3, 6, 6]
            classes: 3
            defaults: {conv: {bn: true, gate: true}}
            layers:
              - conv: {name: stem, out: 4, act: relu}
              - conv: {name: a, out: 4}
              - add: {name: double, from: [a, a]}
              - relu: {name: act}
              - residual: {name: b1, act: relu, branch: [conv: {name: c, out: 4}]}
              - gap
              - linear: {name: fc, out: 3}
            """),
    ]

    struct Case: CustomTestStringConvertible, Sendable {
        var network: String
        var yaml: String
        var mode: Gate.Mode
        /// Activations removed: the loss is smooth, so finite differences are exact up to rounding.
        var smooth: Bool
        /// Run conv lines as fused steps (the default) or node by node.
        var fuse: Bool
        var testDescription: String { "\(network), gates \(mode)\(smooth ? ", smooth" : "")\(fuse ? "" : ", unfused")" }
    }

    static let cases: [Case] = networks.flatMap { n in
        Gate.Mode.allCases.flatMap { mode in
            [true, false].flatMap { smooth in [true, false].map { Case(network: n.0, yaml: n.1, mode: mode, smooth: smooth, fuse: $0) } }
        }
    }

    /// An executor at the gradient point, its labels, and a loss function of the parameters.
    func setUp(_ c: Case) throws -> (Executor, () -> Double, [Float]) {
        var yaml = c.yaml
        if c.smooth {
            for act in [", act: relu6", ", act: relu"] { yaml = yaml.replacingOccurrences(of: act, with: "") }
            yaml = yaml.replacingOccurrences(of: "- relu: {", with: "- identity: {")
            yaml = yaml.replacingOccurrences(of: "maxpool", with: "avgpool")
        }
        let graph = try parse(yaml)
        let (e, labels) = try trainingExecutor(graph, batch: 4, seed: 3, fuse: c.fuse)
        e.gate.mode = c.mode
        e.gate.beta = 2.5
        let p = e.parameters
        if !c.smooth {
            // Keep every unit far from its ReLU kink while leaving the masks non-trivial: batch
            // norms give N(+2, 0.25) on even channels (always active) and N(-2, 0.25) on odd ones
            // (always off), so finite differences never step across a kink.
            for entry in p.entries where entry.group == .batchNorm2d || entry.group == .batchNorm1d {
                if entry.name.hasSuffix(".weight") { p.pointer(entry.name).update(repeating: 0.5, count: entry.count) }
                if entry.name.hasSuffix(".bias") { p.set(entry.name, (0..<entry.count).map { $0 % 2 == 0 ? 2 : -2 }) }
            }
        }
        // gates: small random alphas; in hard mode close one channel of every gate
        for entry in p.entries where entry.group == .alpha {
            if entry.name.hasSuffix(".alpha") { p.set(entry.name, Numerics.random(entry.count, seed: 9, scale: 0.3).map(Float.init)) }
            if entry.name.hasSuffix(".mask"), c.mode == .hard { p.pointer(entry.name)[0] = 0 }
        }
        let input = Array(UnsafeBufferPointer(start: e.input, count: 4 * graph.inputShape.elementCount))
        let rngState = e.random
        let loss = { () -> Double in
            e.input.update(from: input, count: input.count)
            e.random = rngState  // the same dropout mask every evaluation
            try! e.forward(batch: 4)
            return e.loss(labels: labels)!
        }
        _ = loss()
        try e.backward(labels: labels)
        return (e, loss, Array(UnsafeBufferPointer(start: p.gradients, count: p.trainableCount)))
    }

    /// (analytic, numeric) derivative along a seeded unit-norm direction in the parameters of `group`.
    func directional(_ e: Executor, _ loss: () -> Double, _ analytic: [Float], group: ParameterGroup, seed: UInt64,
                     h: Float) -> (Double, Double) {
        let p = e.parameters
        var direction = [Float](repeating: 0, count: p.trainableCount)
        var raw: [(Int, Double)] = []
        for entry in p.trainables(in: [group]) {
            let v = Numerics.random(entry.count, seed: seed &+ UInt64(entry.offset))
            for i in 0..<entry.count { raw.append((entry.offset + i, v[i])) }
        }
        let norm = raw.reduce(0) { $0 + $1.1 * $1.1 }.squareRoot()
        var predicted = 0.0
        for (i, v) in raw {
            direction[i] = Float(v / norm)
            predicted += v / norm * Double(analytic[i])
        }
        let base = Array(UnsafeBufferPointer(start: p.values, count: p.trainableCount))
        for i in 0..<base.count { p.values[i] = base[i] + h * direction[i] }
        let up = loss()
        for i in 0..<base.count { p.values[i] = base[i] - h * direction[i] }
        let down = loss()
        p.values.update(from: base, count: base.count)
        return (predicted, (up - down) / (2 * Double(h)))
    }

    func groups(_ e: Executor, _ c: Case) -> [ParameterGroup] {
        ParameterGroup.allCases.filter { !e.parameters.trainables(in: [$0]).isEmpty && (c.mode == .search || $0 != .alpha) }
    }

    @Test("gradients match finite differences", arguments: cases)
    func gradients(c: Case) throws {
        let (e, loss, analytic) = try setUp(c)
        let p = e.parameters
        if c.smooth {
            for group in groups(e, c) {
                let (a, n) = directional(e, loss, analytic, group: group, seed: 77, h: 3e-3)
                #expect(abs(n - a) <= 1e-5 + 5e-3 * abs(n), "\(c.testDescription) \(group): analytic \(a) numeric \(n)")
            }
            for entry in p.trainables(in: [.conv, .batchNorm2d, .linear]) {
                for i in [entry.offset, entry.offset + entry.count / 2, entry.offset + entry.count - 1] {
                    let saved = p.values[i]
                    p.values[i] = saved + 3e-3
                    let up = loss()
                    p.values[i] = saved - 3e-3
                    let down = loss()
                    p.values[i] = saved
                    let numeric = (up - down) / 6e-3
                    #expect(abs(numeric - Double(analytic[i])) <= 2e-5 + 1e-2 * abs(numeric), "\(c.testDescription) \(entry.name)[\(i - entry.offset)]")
                }
            }
        } else {
            // Max pooling can still meet a near-tie, so one direction in eight may be off; a wrong
            // backward would be off in nearly all of them.
            for group in groups(e, c) {
                let results = (0..<8).map { directional(e, loss, analytic, group: group, seed: 100 + UInt64($0), h: 3e-3) }
                let close = results.filter { abs($0.1 - $0.0) <= 2e-5 + 1e-2 * abs($0.1) }.count
                #expect(close >= 7, "\(c.testDescription) \(group): only \(close) of 8 directions agree: \(results)")
            }
        }
    }
}
