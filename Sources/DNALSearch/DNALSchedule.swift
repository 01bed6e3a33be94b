import DNALCore
import DNALPasses
import DNALRuntime
import Foundation

/// DNAL as a training schedule (docs/dnal-method.md 1-6): phase 1 trains the weights with the gates
/// as identity; phase 2 sets every alpha to 0, freezes conv and 2-D batch-norm weights (linear
/// layers and 1-D batch norms keep training, running statistics keep updating) and minimises
/// cross-entropy + lambda * sum(sigmoid(alpha)) while beta rises to beta_final; channels with
/// sigmoid(beta_final * alpha) > threshold are kept; phase 3 fine-tunes the hard-gated network
/// from the inherited weights, with the reference's weight masks. At the end it writes the masks,
/// the final weights, the compact network and the reports.
public final class DNALSchedule: TrainingSchedule {
    public let graph: Graph
    public let settings: SearchSettings
    /// Phase 3's weight masks (the reference's `weight * mask`), set when the phase starts.
    var weightMasks: MaskedWeights?
    /// With a budget: its count, the controller steering lambda through phase 2, and what the
    /// final adjustment did (checkpointed, `savedState`).
    let budget: Double?
    var controller: LambdaController?
    var adjustment: BudgetAdjustment?
    /// Where the training ran, when not on the native engine (the report says so).
    public var backend: SearchReport.Backend?

    /// Checks the settings and, with a budget, that it can be met: not above the full network's
    /// cost nor below the smallest network the gates allow.
    public init(graph: Graph, settings: SearchSettings) throws {
        try settings.validate()
        guard graph.nodes.contains(where: { $0.op == .gate }) else {
            throw SearchError("'\(graph.name)' has no gates, so there is nothing to search (Grammar.md: gate: true on a conv); dnalc train trains it as it is")
        }
        self.graph = graph
        self.settings = settings
        guard let target = settings.target else {
            budget = nil
            return
        }
        let fullCost = computeCost(graph, convention: .dnal).total(target.metric)
        let count = target.count(full: fullCost)
        let unit = target.metric == .flops ? "FLOPs" : "params"
        guard settings.epochs[1] > 0 else { throw SearchError("\(target) needs a phase 2 (epochs e1,e2,e3 with e2 > 0)") }
        guard count <= Double(fullCost) else {
            throw SearchError("\(target) asks for \(human(Int(count.rounded()))) \(unit), more than the full network's \(human(fullCost))")
        }
        let smallest = smallestGatedCost(graph, metric: target.metric)
        guard count >= Double(smallest) else {
            throw SearchError("\(target) asks for \(human(Int(count.rounded()))) \(unit), less than the smallest network the gates allow (\(human(smallest)), one channel per gate where a path needs it)")
        }
        budget = count
    }

    /// lambda in effect now: the controller's during a budget search, else the setting.
    var lambda: Double { controller?.lambda ?? settings.lambda }

    public var totalEpochs: Int { settings.epochs.reduce(0, +) }

    /// (phase 1-3, epoch within the phase from 0) of global epoch `e`.
    func phase(of e: Int) -> (Int, Int) {
        let (e1, e2) = (settings.epochs[0], settings.epochs[1])
        if e < e1 { return (1, e) }
        if e < e1 + e2 { return (2, e - e1) }
        return (3, e - e1 - e2)
    }

    public func plan(epoch e: Int) -> EpochPlan {
        let (phase, k) = phase(of: e)
        return plan(phase: phase, epoch: k)
    }

    /// Phase 1: identity gates, alphas frozen; phase 2: search gates at this epoch's beta (or
    /// rising every step under the `step` beta schedule), conv and 2-D batch norm frozen; phase 3:
    /// hard gates, alphas frozen. Each phase's rate follows its `lr_schedule`.
    func plan(phase: Int, epoch k: Int) -> EpochPlan {
        let weights: Set<ParameterGroup> = [.conv, .batchNorm2d, .linear, .batchNorm1d]
        var plan = EpochPlan(phase: phase, epoch: k, epochs: settings.epochs[phase - 1], gate: Gate(mode: .identity),
                             frozen: [.alpha], stepping: weights, learningRate: settings.learningRates[phase - 1],
                             learningRateSchedule: settings.learningRateSchedules[phase - 1],
                             weightDecay: settings.weightDecay[phase - 1],
                             tracksBest: phase == 3 || settings.epochs[2] == 0)
        switch phase {
        case 1:
            break
        case 2:
            plan.gate = Gate(mode: .search, beta: Float(settings.beta(phase2Epoch: k)))
            plan.frozen = [.conv, .batchNorm2d]
            plan.stepping = [.alpha, .linear, .batchNorm1d]
            if settings.betaSchedule == .step { plan.betaRampTo = settings.betaFinal }
        default:
            plan.gate = Gate(mode: .hard)
        }
        return plan
    }

    /// At the first epoch of phase 2 every alpha becomes 0; at the first of phase 3 the masks are
    /// derived from the alphas (without phase 2 — fine-tuning — they are the ones the weights
    /// hold), and every phase-3 epoch re-applies the weight masks.
    public func begin(_ plan: EpochPlan, trainer: Trainer) throws {
        let p = trainer.train.parameters
        switch plan.phase {
        case 1:
            break
        case 2:
            if plan.epoch == 0 {
                for e in p.entries(.gateAlpha) { p.pointer(e.name).update(repeating: 0, count: e.count) }
                if let budget, let target = settings.target {
                    controller = LambdaController(budget: budget, metric: target.metric, lambda: settings.lambda,
                                                  gain: settings.targetGain, rate: settings.targetRate)
                }
            }
        default:
            if plan.epoch == 0 && settings.epochs[1] > 0 {
                deriveMasks(p)
                meetBudget(trainer)
                try checkConnected(currentMasks(trainer))
            }
            weightMasks = MaskedWeights(graph, gates: currentMasks(trainer))
            weightMasks?.apply(to: p)
        }
    }

    /// Refuses binarised masks that cut the input from the output, blaming the regulariser.
    func checkConnected(_ masks: GateMasks) throws {
        do {
            try checkMasksKeepNetworkConnected(graph, gates: masks)
        } catch {
            throw SearchError("the learned masks \(error.message.replacingOccurrences(of: "the masks ", with: "")); the regulariser was too strong for this schedule: try a smaller --lambda (now \(settings.lambda))")
        }
    }

    /// mask_c &= keep(alpha_c) (`Gate.keeps`; the reference ANDs with any earlier mask).
    func deriveMasks(_ p: ParameterStore) {
        for e in p.entries(.gateAlpha) {
            let alpha = p.pointer(e.name), mask = p.pointer(e.spec.node, .gateMask)
            for c in 0..<e.count where !Gate.keeps(alpha: alpha[c], betaFinal: settings.betaFinal, threshold: settings.threshold) {
                mask[c] = 0
            }
        }
    }

    public func addLossTerms(_ plan: EpochPlan, trainer: Trainer) -> Double {
        regulariserWeight(plan) != nil ? addRegulariser(trainer.train.parameters) : 0
    }

    /// lambda when `plan`'s epoch adds the regulariser (phase 2), else nil.
    func regulariserWeight(_ plan: EpochPlan) -> Double? { plan.phase == 2 ? lambda : nil }

    /// lambda * sum(sigmoid(alpha)) (`Gate.regulariserTerm`): adds lambda times its gradient to
    /// every alpha's and returns its value.
    func addRegulariser(_ p: ParameterStore) -> Double {
        let lambda = self.lambda
        var total = 0.0
        for e in p.entries(.gateAlpha) {
            let alpha = p.pointer(e.name), grad = p.gradient(e.name)
            for c in 0..<e.count {
                total += Gate.regulariserTerm(alpha: alpha[c])
                grad[c] += Float(lambda * Gate.regulariserGradient(alpha: alpha[c]))
            }
        }
        return lambda * total
    }

    public func afterStep(_ plan: EpochPlan, trainer: Trainer) {
        if plan.phase == 3 { weightMasks?.apply(to: trainer.train.parameters) }
        if plan.phase == 2, controller != nil, let metric = settings.target?.metric {
            controller?.update(hardCost: maskedCost(graph, masks: currentMasks(trainer), metric: metric))
        }
    }

    /// With a budget, once the masks are binarised: the final adjustment (`adjustToBudget`) when
    /// they miss it by more than the tolerance, written into the mask buffers.
    func meetBudget(_ trainer: Trainer) {
        guard let budget, let target = settings.target else { return }
        let p = trainer.train.parameters
        var masks = p.storedMasks(graph), alphas: [Int: [Float]] = [:]
        for n in graph.nodes where n.op == .gate { alphas[n.id] = p.values(of: n.id, .gateAlpha) }
        adjustment = adjustToBudget(graph, masks: &masks, alphas: alphas, metric: target.metric, budget: budget,
                                    tolerance: settings.targetTolerance)
        for (node, keep) in masks.keep { p.set(p.name(node, .gateMask), keep.map { $0 ? 1 : 0 }) }
    }

    /// The gates' masks as they stand: during phase 2, those binarising now would give
    /// (`Gate.keeps` at beta_final); the stored masks (phase 3) are ANDed in.
    func currentMasks(_ trainer: Trainer) -> GateMasks {
        var masks = GateMasks(keep: [:])
        let p = trainer.train.parameters, searching = trainer.train.gate.mode == .search
        for n in graph.nodes where n.op == .gate {
            let alpha = p.pointer(n.id, .gateAlpha), mask = p.pointer(n.id, .gateMask)
            masks.keep[n.id] = (0..<n.shape.channels).map { c in
                mask[c] > 0 && (!searching || Gate.keeps(alpha: alpha[c], betaFinal: settings.betaFinal, threshold: settings.threshold))
            }
        }
        return masks
    }

    public func endEpoch(_ plan: EpochPlan, trainer: Trainer) throws {
        if plan.phase == 2 && plan.epoch == settings.epochs[1] - 1 { try writeMasks(trainer) }
    }

    /// The controller and the adjustment, which a resumed run needs.
    struct State: Codable {
        var controller: LambdaController?
        var adjustment: BudgetAdjustment?
    }

    public func savedState() throws -> String? {
        guard budget != nil else { return nil }
        return String(decoding: try JSONEncoder().encode(State(controller: controller, adjustment: adjustment)), as: UTF8.self)
    }

    public func restore(_ state: String?) throws {
        guard let state else { return }
        let s = try JSONDecoder().decode(State.self, from: Data(state.utf8))
        (controller, adjustment) = (s.controller, s.adjustment)
    }

    func writeMasks(_ trainer: Trainer) throws {
        let masks = trainer.train.gate.mode == .identity ? GateMasks.allOpen(graph) : currentMasks(trainer)
        try writeAtomically([UInt8](MasksFile.encode(masks, for: graph).utf8), to: trainer.path("masks.json"))
    }
}
