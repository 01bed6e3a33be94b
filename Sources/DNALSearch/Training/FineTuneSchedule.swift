import DNALCore
import DNALPasses
import DNALRuntime
import Foundation

/// Plain training, as `dnalc train` runs it: every epoch the same recipe (hard gates, so a gated
/// network trains with the masks its weights hold; alphas frozen; cosine-annealed rate over the
/// whole run). Logged as phase 3, the search's fine-tuning phase, whose recipe it is.
public final class FineTuneSchedule: TrainingSchedule {
    public let graph: Graph
    public let settings: TrainSettings
    /// The weight masks of the masks the weights hold, set when a run starts or resumes.
    var weightMasks: MaskedWeights?

    public init(graph: Graph, settings: TrainSettings) throws {
        try settings.validate()
        self.graph = graph
        self.settings = settings
    }

    public var totalEpochs: Int { settings.epochs }
    public var logFormat: LogFormat { .training }

    public func plan(epoch: Int) -> EpochPlan {
        EpochPlan(phase: 3, epoch: epoch, epochs: settings.epochs, gate: Gate(mode: .hard), frozen: [.alpha],
                  stepping: [.conv, .batchNorm2d, .linear, .batchNorm1d], learningRate: settings.learningRate,
                  learningRateSchedule: .cosine, weightDecay: settings.weightDecay, tracksBest: true)
    }

    /// Every epoch (the masks never change, but a resumed run starts here too), the masks the
    /// weights hold decide the weight masks.
    public func begin(_ plan: EpochPlan, trainer: Trainer) throws {
        weightMasks = MaskedWeights(graph, gates: trainer.train.parameters.storedMasks(graph))
        weightMasks?.apply(to: trainer.train.parameters)
    }

    public func addLossTerms(_ plan: EpochPlan, trainer: Trainer) -> Double { 0 }

    public func afterStep(_ plan: EpochPlan, trainer: Trainer) { weightMasks?.apply(to: trainer.train.parameters) }

    public func endEpoch(_ plan: EpochPlan, trainer: Trainer) throws {}

    public func record(_ plan: EpochPlan, loss: Double, test: Evaluation, trainer: Trainer) -> EpochRecord {
        let masks = trainer.train.parameters.storedMasks(graph)
        let cost = computeCost(graph, convention: .dnal, masks: computeChannelMasks(graph, gates: masks))
        let gates = graph.gateChannels
        return EpochRecord(phase: 3, epoch: plan.epoch + 1, beta: SearchSettings().betaFinal, loss: loss, test: test, openGates: masks.keptChannels,
                           gates: gates, expectedFLOPs: cost.totalFLOPs, hardFLOPs: cost.totalFLOPs,
                           hardParams: cost.totalParams, seconds: 0)
    }

    /// masks.json, final.safetensors, report.json and report.html.
    public func finish(_ state: Checkpoint, seconds: Double, trainer: Trainer) throws -> SearchReport {
        let masks = trainer.train.parameters.storedMasks(graph)
        let report = SearchReport(graph: graph, recipe: .train(settings), data: trainer.dataSource, classNames: trainer.classNames,
                                  records: state.records, masks: masks, bestTop1: state.bestTop1, seconds: seconds)
        try writeAtomically([UInt8](MasksFile.encode(masks, for: graph).utf8), to: trainer.path("masks.json"))
        try trainer.train.parameters.save(to: trainer.path("final.safetensors"), metadata: trainer.weightsMetadata)
        try report.write(to: trainer.path("report.json"))
        let html = ReportHTML.renderTraining(report: report, graph: graph, records: state.records, settings: settings)
        try writeAtomically([UInt8](html.utf8), to: trainer.path("report.html"))
        return report
    }
}
