import DNALCore
import Foundation

extension ParameterStore {
    /// Initialises every tensor as the DNAL reference code does (docs/dnal-method.md 8.2): conv weights
    /// N(0, sqrt(2 / (k*k*Cout))) and biases 0; linear weights N(0, 0.01) and biases 0; batch norm
    /// gamma 1, beta 0, running mean 0, running variance 1; gate alphas 0 and masks 1.
    public func initialize(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        for e in entries {
            let p = pointer(e.name)
            switch (e.group, e.spec.role) {
            case (.conv, .weight):
                // PyTorch layout [Cout, Cin/g, K, K]: the reference's fan is k * k * Cout
                let std = (2 / Double(e.spec.shape[0] * e.spec.shape[2] * e.spec.shape[3])).squareRoot()
                for i in 0..<e.count { p[i] = Float(random.normal() * std) }
            case (.linear, .weight):
                for i in 0..<e.count { p[i] = Float(random.normal() * 0.01) }
            case (_, .normScale), (_, .runningVariance), (_, .gateMask):
                p.update(repeating: 1, count: e.count)
            default:
                p.update(repeating: 0, count: e.count)
            }
        }
    }
}
