import DNALCore
import Foundation

extension ParameterStore {
    /// Initialises every tensor from `seed`, by `scheme`:
    /// - `.reference`, as the DNAL reference code does (docs/dnal-method.md 8.2): conv weights
    ///   N(0, sqrt(2 / (k*k*Cout))) and biases 0; linear weights N(0, 0.01) and biases 0;
    /// - `.pytorch`, as PyTorch's Conv2d and Linear construct themselves: weights and biases
    ///   U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = Cin/groups * k * k (or in_features).
    /// Either way batch norm gamma 1, beta 0, running mean 0, running variance 1; gate alphas 0
    /// and masks 1.
    public func initialize(seed: UInt64, scheme: WeightInitialization = .reference) {
        var random = SeededRandom(seed: seed)
        // fan_in per conv/linear node, from its weight's PyTorch layout [out, in/groups, k, k] or [out, in]
        var fanIn: [Int: Int] = [:]
        for e in entries where e.spec.role == .weight && (e.group == .conv || e.group == .linear) {
            fanIn[e.spec.node] = e.spec.shape.dropFirst().reduce(1, *)
        }
        func uniform(_ p: UnsafeMutablePointer<Float>, _ count: Int, node: Int) {
            let bound = 1 / Double(max(fanIn[node] ?? 1, 1)).squareRoot()
            for i in 0..<count { p[i] = Float((2 * random.uniform() - 1) * bound) }
        }
        for e in entries {
            let p = pointer(e.name)
            switch (e.group, e.spec.role, scheme) {
            case (.conv, .weight, .reference):
                // PyTorch layout [Cout, Cin/g, K, K]: the reference's fan is k * k * Cout
                let std = (2 / Double(e.spec.shape[0] * e.spec.shape[2] * e.spec.shape[3])).squareRoot()
                for i in 0..<e.count { p[i] = Float(random.normal() * std) }
            case (.linear, .weight, .reference):
                for i in 0..<e.count { p[i] = Float(random.normal() * 0.01) }
            case (.conv, .weight, .pytorch), (.linear, .weight, .pytorch), (.conv, .bias, .pytorch), (.linear, .bias, .pytorch):
                uniform(p, e.count, node: e.spec.node)
            case (_, .normScale, _), (_, .runningVariance, _), (_, .gateMask, _):
                p.update(repeating: 1, count: e.count)
            default:
                p.update(repeating: 0, count: e.count)
            }
        }
    }
}
