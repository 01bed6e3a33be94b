import DNALCore
import Testing
@testable import DNALSyntax

/// A budget in the `search:` section: read, checked with its line and column, written back.
@Suite("Budget in the search section")
struct SearchBudgetSectionTests {
    let layers = "  - conv: {out: 4, gate: true}\n  - gap\n  - linear: {out: 2}\n"

    @Test func budgetsParseAndRoundTrip() throws {
        for (text, metric, amount) in [("target_flops: 3x", CostTarget.Metric.flops, CostTarget.Amount.reduction(3)),
                                       ("target_params: 2.5M", .params, .absolute(2_500_000)),
                                       ("target_flops: 2500000", .flops, .absolute(2_500_000)),
                                       ("target_flops: 33%", .flops, .fraction(0.33))] {
            let g = try parse(network(layers, extra: "search:\n  \(text)\n  target_tolerance: 0.02\n  target_rate: 0.1\n"))
            #expect(g.search.target?.metric == metric && g.search.target?.amount == amount, "\(text)")
            #expect(g.search.targetTolerance == 0.02 && g.search.targetRate == 0.1)
            let again = try parse(Emitter.emit(g))
            #expect(again.search == g.search, "\(text) does not survive the emitter")
        }
    }

    @Test func badBudgetsPointAtTheirValue() {
        #expect(firstError(network(layers, extra: "search: {target_flops: 3y}\n"))
                == "t.yaml:4:24: error: '3y' is not a flops budget: give a count (2.5M, 2500000), a reduction (3x) or a fraction of the full network (33%)")
        #expect(firstError(network(layers, extra: "search: {target_flops: -2M}\n"))
                == "t.yaml:4:24: error: target_flops: a budget of -2M is not a positive count")
        #expect(firstError(network(layers, extra: "search: {target_flops: 3x, target_params: 2x}\n"))
                == "t.yaml:4:43: error: give one budget: target_flops or target_params, not both")
        #expect(firstError(network(layers, extra: "search: {target_tolerance: 2}\n")).hasPrefix("t.yaml:4:28: error: 'target_tolerance' must be at least 0.001"))
    }
}
