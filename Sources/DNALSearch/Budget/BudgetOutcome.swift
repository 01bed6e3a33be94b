import DNALCore

/// report.json's `budget`: what a budget search aimed at and what it reached.
public struct BudgetOutcome: Codable, Sendable, Equatable {
    /// `flops` or `params`, and the budget as written (`3x`, `2.5M`, `33%`).
    public var metric: String
    public var target: String
    /// The budget as a count, and the pruned network's cost in the same metric (dnal convention).
    public var budget: Double
    public var achieved: Int
    /// (achieved - budget) / budget.
    public var error: Double
    public var tolerance: Double
    public var withinTolerance: Bool
    /// lambda at the start of phase 2 and at its end.
    public var startLambda: Double
    public var finalLambda: Double
    /// Whether phase 2 ended outside the tolerance so that the final adjustment moved channels,
    /// and what it moved.
    public var adjusted: Bool
    public var adjustment: BudgetAdjustment?
    /// Evenly spaced phase-2 steps: lambda and the hard cost after each.
    public var trajectory: [Point]

    public struct Point: Codable, Sendable, Equatable {
        public var step: Int
        public var lambda: Double
        public var cost: Int
    }

    enum CodingKeys: String, CodingKey {
        case metric, target, budget, achieved, error, tolerance, withinTolerance = "within_tolerance"
        case startLambda = "start_lambda", finalLambda = "final_lambda", adjusted, adjustment, trajectory
    }

    init(target: CostTarget, budget: Double, achieved: Int, tolerance: Double, startLambda: Double,
         controller: LambdaController?, adjustment: BudgetAdjustment?) {
        metric = target.metric.rawValue
        self.target = target.text
        self.budget = budget
        self.achieved = achieved
        error = (Double(achieved) - budget) / budget
        self.tolerance = tolerance
        withinTolerance = abs(error) <= tolerance + 1e-12
        self.startLambda = startLambda
        finalLambda = controller?.lambda ?? startLambda
        self.adjustment = adjustment.flatMap { $0.moved > 0 ? $0 : nil }
        adjusted = self.adjustment != nil
        trajectory = controller?.samples.map { Point(step: $0.step, lambda: $0.lambda, cost: $0.cost) } ?? []
    }
}
