import DNALCore

import DNALKernels

/// Updates the trainable parameters of chosen groups from their gradients, keeping per-parameter
/// state (momentum, Adam moments) in flat arrays parallel to the store.
public final class Optimizer: @unchecked Sendable {
    /// The update rule and its settings.
    public enum Rule: Equatable, Sendable {
        case sgd(momentum: Float, nesterov: Bool)
        case adam(beta1: Float, beta2: Float, epsilon: Float)
    }

    public let rule: Rule
    public let store: ParameterStore
    /// First state array (SGD velocity, Adam first moment) and second (Adam second moment).
    public let state1: UnsafeMutablePointer<Float>
    public let state2: UnsafeMutablePointer<Float>
    /// Steps taken (Adam's bias correction).
    public private(set) var steps = 0

    public init(_ rule: Rule, store: ParameterStore) {
        self.rule = rule
        self.store = store
        let n = max(store.trainableCount, 1)
        state1 = .allocate(capacity: n)
        state2 = .allocate(capacity: n)
        state1.initialize(repeating: 0, count: n)
        state2.initialize(repeating: 0, count: n)
    }

    deinit {
        state1.deallocate()
        state2.deallocate()
    }

    /// Clears momentum and moments (the DNAL reference re-creates its SGD every epoch).
    public func reset() {
        let n = max(store.trainableCount, 1)
        state1.update(repeating: 0, count: n)
        state2.update(repeating: 0, count: n)
        steps = 0
    }

    /// One update of every trainable parameter in `groups` (weight decay applies to all of them,
    /// biases and batch norms included, as in the reference). Arrays of `Parallel.sharedPassFloats`
    /// and more are shared out over `parallel` (each element's update is independent, so the
    /// results do not change).
    public func step(groups: Set<ParameterGroup>, learningRate: Float, weightDecay: Float, parallel: Parallel? = nil) {
        steps += 1
        let t = steps
        for e in store.trainables(in: groups) {
            let update = { (r: Range<Int>) in
                let w = self.store.values + e.offset + r.lowerBound, g = self.store.gradients + e.offset + r.lowerBound
                let s1 = self.state1 + e.offset + r.lowerBound, s2 = self.state2 + e.offset + r.lowerBound
                switch self.rule {
                case .sgd(let momentum, let nesterov):
                    OptimizerKernel.sgd(weights: w, gradients: g, velocity: s1, count: r.count, learningRate: learningRate,
                                        momentum: momentum, weightDecay: weightDecay, nesterov: nesterov)
                case .adam(let b1, let b2, let eps):
                    OptimizerKernel.adam(weights: w, gradients: g, firstMoment: s1, secondMoment: s2, count: r.count,
                                         learningRate: learningRate, beta1: b1, beta2: b2, epsilon: eps,
                                         weightDecay: weightDecay, step: t)
                }
            }
            if let parallel, e.count >= Parallel.sharedPassFloats {
                parallel.forEachChunk(count: e.count, grain: 4096) { _, r in update(r) }
            } else {
                update(0..<e.count)
            }
        }
    }
}
