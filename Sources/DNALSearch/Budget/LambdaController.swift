import DNALCore
import Foundation

/// Steers lambda through phase 2 so that the network phase 2 ends with meets a cost budget.
///
/// The rule, applied after every phase-2 step: with C the cost the gates would give if binarised
/// now (the "hard" cost: `Gate.keeps` at beta_final, counted as `report.json` counts the pruned
/// network), T the budget and lambda0 the starting lambda (the `lambda` setting), lambda moves
/// toward
///
///     lambda* = lambda0 * gain * (C / T - 1)
///
/// by at most `rate * lambda0` per step. Why proportional, and why lambda may turn negative: as
/// beta grows the gates become sticky (away from alpha = 0 the cross-entropy's gradient on alpha
/// vanishes), so each step the regulariser moves every alpha by about lr * lambda / 4 and the hard
/// cost changes at a *rate* set by lambda: it falls while lambda > 0, rises while lambda < 0 (the
/// regulariser then rewards open gates, which a budget above what the cross-entropy alone keeps
/// open needs). The cost integrates lambda, so lambda proportional to the error is what settles
/// at the budget; a controller that integrated the error as well would swing around it (measured:
/// 0.13M against a 3.67M budget after two phase-2 epochs). `rate` keeps one noisy step from
/// swinging lambda. The soft ("expected") cost is not used: at low beta it weighs every gate near
/// 0.5 and says little about what binarisation keeps; it is logged per epoch beside the hard cost.
/// Reading the hard cost takes the alphas the step already has and one cost count.
struct LambdaController: Codable, Equatable, Sendable {
    /// The budget as a count of `metric`.
    let budget: Double
    let metric: CostTarget.Metric
    let gain: Double
    let rate: Double
    /// The starting lambda, which also sets the scale of the controller's output.
    let lambda0: Double
    /// lambda now.
    private(set) var lambda: Double
    /// Phase-2 steps taken.
    private(set) var steps = 0
    /// (step, lambda, hard cost) after updates, thinned to at most `maxSamples` evenly spaced ones.
    private(set) var samples: [Sample] = []
    /// Steps between recorded samples (doubles whenever the record is thinned).
    private var sampleEvery = 1

    static let maxSamples = 512

    /// One point of the trajectory.
    struct Sample: Codable, Equatable, Sendable {
        var step: Int
        var lambda: Double
        var cost: Int
    }

    init(budget: Double, metric: CostTarget.Metric, lambda: Double, gain: Double, rate: Double) {
        self.budget = budget
        self.metric = metric
        lambda0 = lambda
        self.lambda = lambda
        self.gain = gain
        self.rate = rate
    }

    /// One step's update from the hard cost after it.
    mutating func update(hardCost: Int) {
        let error = Double(hardCost) / budget - 1
        let wanted = lambda0 * gain * min(max(error, -1), 10)
        let limit = rate * lambda0
        lambda += min(max(wanted - lambda, -limit), limit)
        steps += 1
        if steps % sampleEvery == 0 {
            samples.append(Sample(step: steps, lambda: lambda, cost: hardCost))
            if samples.count > Self.maxSamples {
                samples = samples.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
                sampleEvery *= 2
            }
        }
    }
}
