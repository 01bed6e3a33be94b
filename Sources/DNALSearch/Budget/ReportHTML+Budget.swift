import DNALCore
import Foundation

extension ReportHTML {
    /// The budget section: the target, what was reached, the adjustment, and the hard cost
    /// against the budget with lambda over phase 2's steps. Empty without a budget.
    static func budgetSection(_ b: BudgetOutcome?) -> String {
        guard let b else { return "" }
        let unit = b.metric == "flops" ? "FLOPs" : "params"
        var text = "<h2>Budget</h2>\n<p>Target \(SVGChart.escape(b.target)) = \(human(Int(b.budget.rounded()))) \(unit); the pruned network has \(human(b.achieved)) (\(String(format: "%+.1f%%", b.error * 100)), tolerance \(String(format: "%.1f%%", b.tolerance * 100))). lambda moved from \(String(format: "%g", b.startLambda)) to \(String(format: "%g", b.finalLambda)) over phase 2. "
        if let a = b.adjustment {
            text += "Phase 2 ended at \(human(a.costBefore)) \(unit), outside the tolerance: the final adjustment \(a.closed > 0 ? "closed the \(a.closed) open" : "reopened the \(a.reopened) closed") gate channels with the \(a.closed > 0 ? "lowest" : "highest") alpha.</p>\n"
        } else {
            text += "Phase 2 ended within the tolerance: no adjustment was needed.</p>\n"
        }
        guard !b.trajectory.isEmpty else { return text }
        let x = b.trajectory.map { String($0.step) }
        text += SVGChart.lines(title: "Hard \(unit) (binarised now) against the budget, per phase-2 step", x: x, xLabel: "phase-2 step",
                               unit: "\(unit) (dnal convention)", series: [
            ("hard \(unit)", "#2e5c8a", b.trajectory.map { Double($0.cost) }),
            ("budget", "#c0392b", b.trajectory.map { _ in b.budget }),
        ], format: { human(Int($0.rounded())) }) + "\n"
        text += SVGChart.lines(title: "lambda per phase-2 step", x: x, xLabel: "phase-2 step", unit: "lambda",
                               series: [("lambda", "#8e44ad", b.trajectory.map(\.lambda))], fromZero: false) + "\n"
        return text
    }
}
