import DNALCore
import DNALPasses
import DNALRuntime
import Foundation

extension DNALSchedule {
    /// An epoch's record: open gates, expected and hard cost, besides loss and accuracy.
    public func record(_ plan: EpochPlan, loss: Double, test: Evaluation, trainer: Trainer) -> EpochRecord {
        let gates = graph.gateChannels
        let full = computeCost(graph, convention: .dnal)
        var expected = full.totalFLOPs, hard = full, open = gates
        if plan.phase >= 2 {
            // "hard": what binarising now (at beta_final, as the reference does) would keep
            let masks = currentMasks(trainer)
            open = masks.keptChannels
            hard = computeCost(graph, convention: .dnal, masks: computeChannelMasks(graph, gates: masks))
            if plan.phase == 2 {
                var soft: [Int: [Double]] = [:]
                let p = trainer.train.parameters, gate = trainer.train.gate
                for n in graph.nodes where n.op == .gate {
                    let alpha = p.pointer(n.id, .gateAlpha), mask = p.pointer(n.id, .gateMask)
                    soft[n.id] = (0..<n.shape.channels).map { Double(gate.factor(alpha: alpha[$0], mask: mask[$0])) }
                }
                expected = computeExpectedCost(graph, convention: .dnal, masks: computeSoftChannelMasks(graph, open: soft)).totalFLOPs
            } else {
                expected = hard.totalFLOPs
            }
        }
        return EpochRecord(phase: plan.phase, epoch: plan.epoch + 1, beta: recordBeta(plan), loss: loss, test: test, openGates: open,
                           gates: gates, expectedFLOPs: expected, hardFLOPs: hard.totalFLOPs, hardParams: hard.totalParams,
                           seconds: 0, lambda: plan.phase == 2 ? lambda : nil)
    }

    /// The beta an epoch's record shows: phase 2's of the epoch, beta_final once binarised, else 1.
    func recordBeta(_ plan: EpochPlan) -> Double {
        plan.phase == 2 ? Double(plan.gate.beta) : (plan.phase == 3 ? settings.betaFinal : 1)
    }

    /// masks.json, final.safetensors, the compact network (`pruned.yaml` + `pruned.safetensors`)
    /// when phase 2 ran, report.json and report.html.
    public func finish(_ state: Checkpoint, seconds: Double, trainer: Trainer) throws -> SearchReport {
        var binarisedTop1: Double?
        if settings.epochs[1] > 0 && settings.epochs[2] == 0 {
            binarisedTop1 = try binariseWithoutFineTuning(trainer)
        }
        let masks = currentMasks(trainer)
        var report = SearchReport(graph: graph, recipe: .search(settings), data: trainer.dataSource, classNames: trainer.classNames,
                                  records: state.records, masks: masks, bestTop1: state.bestTop1, seconds: seconds)
        if let binarisedTop1 { report.pruned.top1 = binarisedTop1 }
        report.backend = backend
        if let budget, let target = settings.target {
            report.budget = BudgetOutcome(target: target, budget: budget, achieved: maskedCost(graph, masks: masks, metric: target.metric),
                                          tolerance: settings.targetTolerance, startLambda: settings.lambda,
                                          controller: controller, adjustment: adjustment)
        }
        try writeMasks(trainer)
        try trainer.train.parameters.save(to: trainer.path("final.safetensors"), metadata: trainer.weightsMetadata)
        if settings.epochs[1] > 0 {
            do {
                try PrunedNetworkFiles(pruning: graph, weights: trainer.train.parameters, masks: masks).write(
                    to: trainer.path("pruned.yaml"), metadata: trainer.weightsMetadata,
                    provenance: "pruned by dnalc search from \(graph.name) (lambda \(settings.lambda), epochs \(settings.epochs.map(String.init).joined(separator: "+")))")
                report.prunedNetwork = "pruned.yaml"
            } catch let error as GraphError {
                report.prunedNetworkNote = error.message
            }
        }
        try report.write(to: trainer.path("report.json"))
        let html = ReportHTML.render(report: report, graph: graph, records: state.records, store: trainer.train.parameters,
                                     masks: masks.keep, settings: settings)
        try writeAtomically([UInt8](html.utf8), to: trainer.path("report.html"))
        return report
    }

    /// A search without phase 3 ends here as phase 3 would begin: the gates are binarised (and
    /// a budget's adjustment applied) into the mask buffers, the weight masks and dead channels
    /// applied, so final.safetensors holds the hard-gated network that pruned.yaml computes.
    /// Returns that network's test top-1, which the report gives as the pruned top-1 (and
    /// `dnalc eval` of final.safetensors reproduces).
    func binariseWithoutFineTuning(_ trainer: Trainer) throws -> Double {
        let p = trainer.train.parameters
        deriveMasks(p)
        meetBudget(trainer)
        trainer.train.gate = Gate(mode: .hard)
        trainer.eval.gate = Gate(mode: .hard)
        let masks = currentMasks(trainer)
        try checkConnected(masks)
        MaskedWeights(graph, gates: masks).apply(to: p)
        return try Evaluation.run(trainer.eval, source: trainer.testSource).top1
    }
}
