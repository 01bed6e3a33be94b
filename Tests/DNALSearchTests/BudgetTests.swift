import DNALCore
import DNALData
import DNALPasses
import DNALRuntime
import DNALSyntax
import DNALTestSupport
import Foundation
import Testing
@testable import DNALSearch

/// Search to a budget: the controller's rule, the final adjustment, refusals before training, and
/// a small seeded search that lands within its tolerance and resumes exactly.
@Suite("Budget search", .serialized)
struct BudgetTests {
    static let data = SearchTests.data

    func graph(_ name: String = "vgg6-mnist") throws -> Graph {
        try NetworkParser.parse(file: Repository.architecture(name + ".yaml").path)
    }

    func directory() throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("dnalc-budget-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    @Test func controllerRaisesLambdaOverBudgetAndLowersItUnder() {
        var c = LambdaController(budget: 1000, metric: .flops, lambda: 0.01, gain: 1, rate: 0.05)
        #expect(c.lambda == 0.01)
        c.update(hardCost: 2000)  // 100% over: lambda* = 0.01, already there
        #expect(abs(c.lambda - 0.01) < 1e-15)
        c.update(hardCost: 5000)  // far over: lambda* = 0.04, the rate allows 0.0005 a step
        #expect(abs(c.lambda - 0.0105) < 1e-15)
        c.update(hardCost: 1000)  // on budget: lambda* = 0
        #expect(abs(c.lambda - 0.01) < 1e-15)
        // far under for long: lambda passes through zero to -lambda0, a reward for open gates
        for _ in 0..<100 { c.update(hardCost: 0) }
        #expect(abs(c.lambda + 0.01) < 1e-12)
        #expect(c.steps == 103 && c.samples.map(\.cost).prefix(3) == [2000, 5000, 1000])
        for _ in 0..<2000 { c.update(hardCost: 1000) }
        // thinned, evenly: at most maxSamples points spanning the whole phase
        #expect(c.steps == 2103 && c.samples.count <= LambdaController.maxSamples && c.samples.last!.step > 2000)
        #expect(abs(c.lambda) < 1e-12)
    }

    /// Masks over the budget close their lowest alphas first, just enough; under it the highest
    /// closed ones reopen; the network is never cut off.
    @Test func finalAdjustmentMovesTheFewestChannelsByAlpha() throws {
        let g = try graph()
        let gates = g.nodes.filter { $0.op == .gate }
        var alphas: [Int: [Float]] = [:]
        var random = SeededRandom(seed: 3)
        for n in gates { alphas[n.id] = (0..<n.shape.channels).map { _ in Float(random.normal()) } }
        func cost(_ m: GateMasks) -> Int { computeCost(g, convention: .dnal, masks: computeChannelMasks(g, gates: m)).totalFLOPs }
        let full = cost(GateMasks.allOpen(g))
        var masks = GateMasks.allOpen(g)
        let a = adjustToBudget(g, masks: &masks, alphas: alphas, metric: .flops, budget: Double(full) / 3, tolerance: 0.03)
        #expect(a.closed > 0 && a.reopened == 0 && a.costBefore == full && a.costAfter == cost(masks))
        #expect(Double(a.costAfter) <= Double(full) / 3 * 1.03)
        // every closed channel has an alpha no higher than every open one
        let closed = gates.flatMap { n in masks.keep[n.id]!.indices.filter { !masks.keep[n.id]![$0] }.map { alphas[n.id]![$0] } }
        let open = gates.flatMap { n in masks.keep[n.id]!.indices.filter { masks.keep[n.id]![$0] }.map { alphas[n.id]![$0] } }
        #expect(closed.count == a.closed && closed.max()! <= open.min()!)
        // one channel fewer would not have reached the band
        try checkMasksKeepNetworkConnected(g, gates: masks)

        // back up to 2x: the closed channels with the highest alpha reopen
        let b = adjustToBudget(g, masks: &masks, alphas: alphas, metric: .flops, budget: Double(full) / 2, tolerance: 0.03)
        #expect(b.reopened > 0 && b.closed == 0 && Double(b.costAfter) >= Double(full) / 2 * 0.97)
        // within the tolerance already: nothing moves
        let c = adjustToBudget(g, masks: &masks, alphas: alphas, metric: .flops, budget: Double(b.costAfter), tolerance: 0.03)
        #expect(c.moved == 0)
        // a budget below what the gates allow ends at a connected network, as small as it gets
        var tiny = GateMasks.allOpen(g)
        _ = adjustToBudget(g, masks: &tiny, alphas: alphas, metric: .flops, budget: 1, tolerance: 0.03)
        try checkMasksKeepNetworkConnected(g, gates: tiny)
    }

    @Test func unmeetableBudgetsAreRefusedBeforeTraining() throws {
        let g = try graph()
        var s = SearchSettings(file: g.search)
        func refuse(_ key: String, _ value: String) throws -> String? {
            var t = s
            try t.set(key, value)
            do {
                _ = try DNALSchedule(graph: g, settings: t)
                return nil
            } catch let e as SearchError {
                return e.message
            }
        }
        let full = computeCost(g, convention: .dnal)
        #expect(try refuse("target_flops", "20M") == "--target-flops 20M asks for 20.00M FLOPs, more than the full network's \(human(full.totalFLOPs))")
        let small = try #require(try refuse("target_flops", "5000"))
        #expect(small.hasPrefix("--target-flops 5000 asks for 5.00K FLOPs, less than the smallest network the gates allow ("))
        #expect(try refuse("target_params", "10000x")?.contains("less than the smallest network the gates allow") == true)
        #expect(throws: SearchError("'3y' is not a flops budget: give a count (2.5M, 2500000), a reduction (3x) or a fraction of the full network (33%)")) {
            try s.set("target_flops", "3y")
        }
        #expect(throws: SearchError("target_flops: a budget of -2M is not a positive count")) { try s.set("target_flops", "-2M") }
        s.epochs = [1, 0, 1]
        try s.set("target_flops", "3x")
        #expect(throws: SearchError("--target-flops 3x needs a phase 2 (epochs e1,e2,e3 with e2 > 0)")) { try DNALSchedule(graph: g, settings: s) }
    }

    @Test func aSmallSearchLandsWithinItsBudgetAndResumesExactly() throws {
        let g = try graph()
        var s = SearchSettings(file: g.search)
        s.epochs = [1, 2, 1]
        s.trainLimit = 1024
        s.testLimit = 256
        s.batch = 32
        try s.set("target_flops", "3x")
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let report = try SearchRun(graph: g, data: Self.data, settings: s, directory: dir, threads: 2).run(resume: false)
        let b = try #require(report.budget)
        let full = computeCost(g, convention: .dnal).totalFLOPs
        #expect(b.budget == Double(full) / 3 && b.withinTolerance && abs(b.error) <= 0.03)
        #expect(b.achieved == report.pruned.flops)
        // the compact network costs what the report says
        let pruned = try NetworkParser.parse(file: dir + "/pruned.yaml")
        #expect(computeCost(pruned, convention: .dnal).totalFLOPs == b.achieved)
        #expect(b.trajectory.count == 64 && b.finalLambda != b.startLambda)  // 2 epochs of 32 steps
        let log = try String(contentsOfFile: dir + "/log.csv", encoding: .utf8).split(separator: "\n")
        #expect(log[0].hasSuffix(",lambda,cross_entropy,regulariser,lr,seconds") && log[2].split(separator: ",", omittingEmptySubsequences: false)[10] != "")
        #expect(log[1].split(separator: ",", omittingEmptySubsequences: false)[10] == "")  // no lambda in phase 1
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/report.json"))) as? [String: Any]
        let budget = try #require(json?["budget"] as? [String: Any])
        #expect(budget["target"] as? String == "3x" && budget["within_tolerance"] as? Bool == true && budget["adjusted"] != nil)
        #expect(try String(contentsOfFile: dir + "/report.html", encoding: .utf8).contains("against the budget"))

        // interrupted after phase 2's first epoch, then resumed: the same lambda, masks and weights
        let c = try directory()
        defer { try? FileManager.default.removeItem(atPath: c) }
        let first = try SearchRun(graph: g, data: Self.data, settings: s, directory: c, threads: 2)
        var epochs = 0
        first.onEpoch = { _ in epochs += 1 }
        first.shouldStop = { epochs >= 2 }
        #expect(throws: SearchError("interrupted")) { try first.run(resume: false) }
        let resumed = try SearchRun(graph: g, data: Self.data, settings: s, directory: c, threads: 2).run(resume: true)
        #expect(resumed.budget == report.budget && resumed.pruned == report.pruned)
        #expect(try SafeTensors.read(c + "/final.safetensors").tensors == SafeTensors.read(dir + "/final.safetensors").tensors)
    }
}
