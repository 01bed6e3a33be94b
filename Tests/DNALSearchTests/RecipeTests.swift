import DNALCore
import DNALData
import DNALPasses
import DNALRuntime
import DNALSyntax
import DNALTestSupport
import Foundation
import Testing
@testable import DNALSearch

/// The recipe settings the reference's networks need: per-phase rate schedules, the beta
/// schedule, augmentation and initialisation, and a search that ends without fine-tuning.
@Suite("Search recipes", .serialized, .timeLimit(.minutes(5)))
struct RecipeTests {
    static let data = SearchTests.data
    /// The search tests' quick settings (256 training images, batch 32), data, run directories and networks.
    let base = SearchTests()

    func settings(epochs: [Int]) -> SearchSettings { base.settings(lambda: 0.02, epochs: epochs, seed: 5) }
    func directory() throws -> String { try base.directory() }
    func graph() throws -> Graph { try base.graph() }

    @Test func theNetworkFileAndSetChooseTheRecipe() throws {
        let g = try NetworkParser.parse(source: Array("""
            network: t
            input: [1, 8, 8]
            classes: 2
            search:
              lr_schedule: [constant, constant, step/0.1/10/40]
              beta_schedule: step
              augment: none
              init: pytorch
            layers:
              - conv: {out: 4, bn: true, gate: true, act: relu}
              - gap
              - linear: {out: 2}

            """.utf8), file: "t.yaml")
        var s = SearchSettings(file: g.search)
        #expect(s.learningRateSchedules == [LearningRateSchedule.constant, .constant, .step(factor: 0.1, after: [10, 40])])
        #expect(s.betaSchedule == .step && s.augment == AugmentChoice.none && s.initialization == .pytorch)
        try s.set("lr_schedule", "cosine/0/160,constant,cosine/30/120")
        #expect(s.learningRateSchedules == [.cosine(offset: 0, horizon: 160), .constant, .cosine(offset: 30, horizon: 120)])
        try s.set("augment", "crop+flip")
        #expect(s.augment == .cropFlip)
        #expect(throws: SearchError("'beta_schedule' takes one of epoch, step, got 'batch'")) { try s.set("beta_schedule", "batch") }
        #expect(throws: SearchError.self) { try s.set("lr_schedule", "cosine,step") }
        // the image-folder settings of a run
        #expect(throws: SearchError("crop_scale must be in (0, 1], got 2")) { try s.set("crop_scale", "2") }
        #expect(throws: SearchError("'bad_images' takes error or skip, got 'ignore'")) { try s.set("bad_images", "ignore") }
        try s.set("bad_images", "skip")
        try s.set("crop_scale", "0.25")
        #expect(s.images.skipUnreadable && s.images.cropScale == 0.25)
        // the canonical form keeps them, and config.json too
        let again = try NetworkParser.parse(source: Array(Emitter.emit(g).utf8), file: "again.yaml")
        #expect(again.search == g.search)
        let decoded = try JSONDecoder().decode(SearchSettings.self, from: JSONEncoder().encode(s))
        #expect(decoded == s)
        // a misspelt choice in the file is located, with the spellings and the nearest one
        do {
            _ = try NetworkParser.parse(source: Array("network: t\ninput: [1, 8, 8]\nclasses: 2\nsearch: {augment: crop-flip}\nlayers: [gap, {linear: {out: 2}}]\n".utf8), file: "bad.yaml")
            Issue.record("a misspelt augment was read")
        } catch {
            #expect(error.rendered(source: nil).hasPrefix("bad.yaml:4:19: error: 'augment' must be one of auto, none, crop, crop+flip, got 'crop-flip'; did you mean 'crop+flip'?"))
        }
        // a bad schedule in the file is located
        #expect(throws: Diagnostic.self) {
            try NetworkParser.parse(source: Array("network: t\ninput: [1, 8, 8]\nclasses: 2\nsearch: {lr_schedule: cosine/9}\nlayers: [gap, {linear: {out: 2}}]\n".utf8), file: "bad.yaml")
        }
    }

    @Test func eachPhaseFollowsItsSchedule() throws {
        var s = settings(epochs: [2, 2, 3])
        s.learningRateSchedules = [.constant, .constant, .step(factor: 0.1, after: [0, 1])]
        let schedule = try DNALSchedule(graph: try graph(), settings: s)
        #expect(schedule.plan(phase: 1, epoch: 1).learningRate(batch: 7, batches: 8) == 0.05)
        let p3 = (0..<3).map { schedule.plan(phase: 3, epoch: $0).learningRate(batch: 3, batches: 8) }
        #expect(abs(p3[0] - 0.02) < 1e-15 && abs(p3[1] - 0.002) < 1e-15 && abs(p3[2] - 0.0002) < 1e-15)
        // the PyTorch backend's job carries the same rates
        let job = schedule.torchPlan(epoch: 6)
        #expect(abs(job.learningRate - 0.0002) < 1e-15 && job.cosine == nil)
        s.learningRateSchedules = [.cosine, .constant, .cosine(offset: 30, horizon: 120)]
        let cosine = try DNALSchedule(graph: try graph(), settings: s)
        #expect(cosine.torchPlan(epoch: 5).cosine == [31, 120])
    }

    @Test func theStepBetaScheduleRisesWithinTheEpochAndStartsSoft() throws {
        var s = settings(epochs: [0, 1, 0])
        s.betaSchedule = .step
        let run = try SearchRun(graph: try graph(), data: Self.data, settings: s, directory: try directory(), threads: 1)
        var betas: [Float] = []
        run.trainer.onBatch = { _, _, _ in betas.append(run.train.gate.beta) }
        _ = try run.run(resume: false)
        #expect(betas.count == 8)
        #expect(betas[0] < 4 && betas.last! == Float(1e4))
        #expect(zip(betas, betas.dropFirst()).allSatisfy { $0 < $1 })
        // the per-epoch schedule keeps the reference's beta: beta_final from the first step of a one-epoch phase 2
        s.betaSchedule = .epoch
        let reference = try SearchRun(graph: try graph(), data: Self.data, settings: s, directory: try directory(), threads: 1)
        var first: Float = 0
        reference.trainer.onBatch = { _, b, _ in if b == 0 { first = reference.train.gate.beta } }
        _ = try reference.run(resume: false)
        #expect(first == Float(1e4))
    }

    @Test func augmentationChoices() throws {
        let train = Self.data.train
        #expect(Augmentation(.auto, for: train) == .standard(for: train))
        #expect(Augmentation(AugmentChoice.none, for: train) == .none)
        #expect(Augmentation(.crop, for: train) == Augmentation(cropPadding: Augmentation.standard(for: train).cropPadding, horizontalFlip: false))
        #expect(Augmentation(.cropFlip, for: train).horizontalFlip)
        var s = settings(epochs: [1, 0, 0])
        s.augment = AugmentChoice.none
        let run = try SearchRun(graph: try graph(), data: Self.data, settings: s, directory: try directory(), threads: 1)
        #expect(run.trainer.trainSource.augmentation == .none)
    }

    @Test func pytorchInitialisationDrawsUniformlyWithinOneOverRootFanIn() throws {
        let g = try graph()
        let store = ParameterStore(graph: g)
        store.initialize(seed: 9, scheme: .pytorch)
        for e in store.entries where e.spec.role == .weight && (e.group == .conv || e.group == .linear) {
            let fanIn = e.spec.shape.dropFirst().reduce(1, *)
            let bound = Float(1 / Double(fanIn).squareRoot())
            let values = store.values(of: e.name)
            #expect(values.allSatisfy { abs($0) <= bound }, "\(e.name)")
            #expect(values.map(abs).max()! > 0.8 * bound, "\(e.name)")  // uniform, not normal and small
        }
        for e in store.entries where e.spec.role == .bias && e.group == .linear {
            #expect(store.values(of: e.name).contains { $0 != 0 })
        }
        let reference = ParameterStore(graph: g)
        reference.initialize(seed: 9)
        #expect(reference.values(of: "fc.bias").allSatisfy { $0 == 0 })
    }

    @Test func withoutFineTuningTheBinarisedNetworkIsEvaluatedAndSaved() throws {
        let g = try graph(), dir = try directory()
        let report = try SearchRun(graph: g, data: Self.data, settings: settings(epochs: [1, 1, 0]), directory: dir, threads: 1)
            .run(resume: false)
        let top1 = try #require(report.pruned.top1)
        // final.safetensors holds the binarised masks: evaluated hard-gated, it gives the report's top-1
        let eval = try Executor(graph: g, maxBatch: 256, training: false, threads: 1)
        try eval.parameters.load(from: dir + "/final.safetensors")
        eval.gate = Gate(mode: .hard)
        let source = BatchSource(dataset: Self.data.test.prefix(128), batchSize: 256, augmentation: .none,
                                 normalization: Normalization.compute(from: Self.data.train.prefix(256)), seed: 0)
        #expect(try Evaluation.run(eval, source: source).top1 == top1)
        let masks = eval.parameters.storedMasks(g)
        #expect(masks.keptChannels == report.keptGates && report.keptGates < report.gates)
        #expect(FileManager.default.fileExists(atPath: dir + "/pruned.yaml"))
    }

    @Test func theReportGivesTheReferenceCountersFigureWhenAGateClosesEntirely() throws {
        let g = try base.graph("resnet8-cifar10")
        var masks = GateMasks.allOpen(g)
        let closed = try #require(g.node(named: "stage2.0.conv2.gate")).id
        masks.keep[closed] = masks.keep[closed]!.map { _ in false }
        let report = SearchReport(graph: g, recipe: .search(SearchSettings()), data: "d", classNames: nil, records: [], masks: masks,
                                  bestTop1: nil, seconds: 0)
        let reference = try #require(report.reference)
        #expect(report.referenceDiffers && reference.flops > report.pruned.flops)
        #expect(report.referenceFLOPsRatio! < report.flopsRatio)
        #expect(ReportHTML.referenceRow(report).contains("higher: a gate closed entirely"))
        let open = SearchReport(graph: g, recipe: .search(SearchSettings()), data: "d", classNames: nil, records: [],
                                masks: .allOpen(g), bestTop1: nil, seconds: 0)
        #expect(!open.referenceDiffers && ReportHTML.referenceRow(open).contains("equal: no gate closed entirely"))
    }
}
