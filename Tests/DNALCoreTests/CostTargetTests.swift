import Testing
import DNALCore

/// Budgets as users write them, and the ones refused.
@Suite("Cost targets")
struct CostTargetTests {
    @Test func spellings() throws {
        #expect(try CostTarget(.flops, parsing: "2.5M").amount == .absolute(2_500_000))
        #expect(try CostTarget(.flops, parsing: "2500000").amount == .absolute(2_500_000))
        #expect(try CostTarget(.params, parsing: "40K").amount == .absolute(40_000))
        #expect(try CostTarget(.flops, parsing: "1.5G").amount == .absolute(1.5e9))
        #expect(try CostTarget(.flops, parsing: " 3x ").amount == .reduction(3))
        #expect(try CostTarget(.flops, parsing: "33%").amount == .fraction(0.33))
        let t = try CostTarget(.flops, parsing: "4x")
        #expect(t.count(full: 1000) == 250 && t.description == "--target-flops 4x")
        #expect(try CostTarget(.params, parsing: "25%").count(full: 1000) == 250)
    }

    @Test("refused", arguments: [
        ("3y", "'3y' is not a flops budget: give a count (2.5M, 2500000), a reduction (3x) or a fraction of the full network (33%)"),
        ("-2M", "target_flops: a budget of -2M is not a positive count"),
        ("0", "target_flops: a budget of 0 is not a positive count"),
        ("0.5x", "target_flops: a reduction of 0.5x would be larger than the full network; give a ratio of at least 1x"),
        ("150%", "target_flops: 150% of the full network must be above 0% and at most 100%"),
        ("", "'' is not a flops budget: give a count (2.5M, 2500000), a reduction (3x) or a fraction of the full network (33%)"),
        ("1e400", "'1e400' is not a flops budget: give a count (2.5M, 2500000), a reduction (3x) or a fraction of the full network (33%)"),
    ])
    func refused(text: String, message: String) {
        #expect(throws: CostTargetError.self) { try CostTarget(.flops, parsing: text) }
        do {
            _ = try CostTarget(.flops, parsing: text)
        } catch {
            #expect(error.description == message)
        }
    }
}
