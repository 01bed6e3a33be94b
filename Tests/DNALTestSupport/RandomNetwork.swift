import DNALCore
/// Generates random, valid network files in the DSL: chains of convs (dense, strided, grouped,
/// depthwise), pools, residual blocks (identity, zeropad, project), candidate-op choices and
/// concats, ending in gap + linear. Used by property tests of shape inference, cost and parsing.
public struct RandomNetwork {
    /// The YAML text.
    public var yaml: String
    /// Number of layer items written (before expansion).
    public var items: Int

    public init(seed: UInt64, maxItems: Int = 12) {
        var rng = SeededRandom(seed: seed)
        let channels = [1, 3, 4][Int.random(in: 0..<3, using: &rng)]
        let size = Int.random(in: 6...20, using: &rng)
        let classes = Int.random(in: 2...7, using: &rng)
        var lines = ["network: random\(seed)", "input: [\(channels), \(size), \(size)]", "classes: \(classes)", "layers:"]
        var c = channels, h = size
        var count = 0
        var last = "input"
        let n = Int.random(in: 1...maxItems, using: &rng)
        for k in 0..<n {
            let name = "l\(k)"
            switch Int.random(in: 0..<8, using: &rng) {
            case 0, 1:
                let out = Int.random(in: 1...8, using: &rng)
                let kernel = [1, 3, 5][Int.random(in: 0..<3, using: &rng)]
                let stride = h >= 4 && Bool.random(using: &rng) ? 2 : 1
                let pad = Int.random(in: 0...(kernel / 2), using: &rng)
                guard h + 2 * pad >= kernel else { continue }
                let bn = Bool.random(using: &rng), gate = Bool.random(using: &rng), bias = Bool.random(using: &rng)
                lines.append("  - conv: {name: \(name), out: \(out), kernel: \(kernel), stride: \(stride), padding: \(pad), bias: \(bias), bn: \(bn), gate: \(gate), act: relu}")
                c = out
                h = (h + 2 * pad - kernel) / stride + 1
            case 2:
                let stride = h >= 4 && Bool.random(using: &rng) ? 2 : 1
                lines.append("  - conv: {name: \(name), depthwise: true, kernel: 3, stride: \(stride), bn: true, gate: true, act: relu6}")
                h = (h + 2 - 3) / stride + 1
            case 3:
                guard h >= 2 else { continue }
                lines.append("  - \(Bool.random(using: &rng) ? "maxpool" : "avgpool"): {name: \(name), kernel: 2}")
                h /= 2
            case 4:
                let out = c * Int.random(in: 1...2, using: &rng)
                let stride = h >= 4 && Bool.random(using: &rng) ? 2 : 1
                let shortcut = out == c && stride == 1 ? "identity" : (Bool.random(using: &rng) ? "zeropad" : "project")
                lines.append("  - residual: {name: \(name), shortcut: \(shortcut), act: relu, branch: [conv: {name: a, out: \(out), stride: \(stride), bn: true, gate: true, act: relu}, conv: {name: b, out: \(out), bn: true, gate: true}]}")
                c = out
                h = (h - 1) / stride + 1
            case 5:
                let out = Int.random(in: 2...6, using: &rng)
                lines.append("  - choice: {name: \(name), ops: [[conv: {name: x, out: \(out), kernel: 1, bn: true, gate: true}], [conv: {name: y, out: \(out), kernel: 3, bn: true, gate: true}]]}")
                c = out
            case 6:
                guard c % 2 == 0, c >= 2 else { continue }
                lines.append("  - conv: {name: \(name), out: \(c), kernel: 3, groups: 2, bn: true, act: relu}")
            default:
                let a = Int.random(in: 1...4, using: &rng), b = Int.random(in: 1...4, using: &rng)
                lines.append("  - conv: {name: \(name)a, out: \(a), kernel: 1}")
                lines.append("  - conv: {name: \(name)b, out: \(b), kernel: 1, from: \(last)}")
                lines.append("  - concat: {name: \(name), from: [\(name)a, \(name)b]}")
                c = a + b
            }
            count += 1
            last = name
        }
        lines.append("  - gap: {name: pool}")
        lines.append("  - linear: {name: fc, out: \(classes)}")
        yaml = lines.joined(separator: "\n") + "\n"
        items = count
    }
}
