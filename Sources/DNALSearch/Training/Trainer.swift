import DNALCore
import DNALData
import DNALRuntime
import Foundation

/// Trains a network epoch by epoch as a `TrainingSchedule` says, in a run directory: SGD with
/// momentum (re-created every epoch, as the reference does), augmented and shuffled batches,
/// evaluation after every epoch, `log.csv`, and atomic checkpoints (`checkpoints/last` after every
/// epoch, `checkpoints/best` for the best tracked top-1) from which `run(resume: true)` continues
/// bit for bit. What the run leaves at the end is the schedule's (`TrainingSchedule.finish`).
public final class Trainer {
    public let graph: Graph
    public let settings: TrainerSettings
    public let directory: String
    /// The training executor; it owns the parameters.
    public let train: Executor
    /// The inference executor, sharing the training executor's parameters.
    public let eval: Executor
    let optimizer: Optimizer
    let trainSource: BatchSource
    let testSource: BatchSource
    /// The data's description (`DataSplits.source`).
    public let dataSource: String
    /// The data's class names, when it names them (an image folder).
    public let classNames: [String]?
    /// Called after every epoch with its record.
    public var onEpoch: (EpochRecord) -> Void = { _ in }
    /// Called after every training batch with the epoch's plan, the batch (from 0) and the batch count.
    public var onBatch: (EpochPlan, Int, Int) -> Void = { _, _, _ in }
    /// Polled between batches; when it returns true the run stops (the last checkpoint stays).
    public var shouldStop: () -> Bool = { false }
    /// Whether a fresh run starts from given weights rather than a seeded initialisation.
    let startsFromWeights: Bool

    /// Metadata of every weights file the run writes: the network and the input normalisation.
    public var weightsMetadata: [String: String] {
        ["network": graph.name].merging(trainSource.normalization.metadata) { a, _ in a }
    }

    /// `normalization` fixes the input normalisation (that of the weights being fine-tuned, or of
    /// the run being resumed); by default it is computed from the training split.
    /// `initialWeights` (tensors as read from a safetensors file, and its name) replace the seeded
    /// initialisation of a fresh run. Everything is checked here, before anything is written.
    public init(graph: Graph, data: DataSplits, settings: TrainerSettings, directory: String, threads: Int,
                normalization: Normalization? = nil,
                initialWeights: (tensors: [String: SafeTensors.Tensor], source: String)? = nil) throws {
        var data = data
        if let n = settings.trainLimit { data.train = data.train.prefix(n) }
        if let n = settings.testLimit { data.test = data.test.prefix(n) }
        try data.check(fits: graph)
        self.graph = graph
        self.settings = settings
        self.directory = directory
        dataSource = data.source
        classNames = data.classNames
        train = try Executor(graph: graph, maxBatch: settings.batch, training: true, threads: threads)
        eval = try Executor(graph: graph, maxBatch: max(settings.batch, 256), training: false, threads: threads,
                            parameters: train.parameters)
        if let initialWeights { try train.parameters.importTensors(initialWeights.tensors, source: initialWeights.source) }
        startsFromWeights = initialWeights != nil
        optimizer = Optimizer(.sgd(momentum: Float(settings.momentum), nesterov: false), store: train.parameters)
        if let normalization, normalization.mean.count != data.train.channels {
            throw SearchError("the input normalisation has \(normalization.mean.count) channels, \(data.source) has \(data.train.channels)")
        }
        let normalization = normalization ?? Normalization.compute(from: data.train)
        trainSource = BatchSource(dataset: data.train, batchSize: settings.batch, augmentation: Augmentation(settings.augment, for: data.train),
                                  normalization: normalization, seed: UInt64(settings.seed))
        testSource = BatchSource(dataset: data.test, batchSize: max(settings.batch, 256), augmentation: .none,
                                 normalization: normalization, seed: UInt64(settings.seed))
    }

    /// `name` inside the run directory.
    public func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// Runs (or, with `resume`, continues) `schedule`; returns the report its finish writes.
    public func run(_ schedule: TrainingSchedule, resume: Bool) throws -> SearchReport {
        let start = Date()
        var state = freshState
        try RunDirectory.prepare(path("checkpoints"))
        if resume {
            let last = path("checkpoints/last.safetensors")
            state = try Checkpoint.read(from: last, into: train.parameters)
            guard state.epochsDone >= 0, state.epochsDone <= schedule.totalEpochs, state.records.count == state.epochsDone else {
                throw SearchError("\(last) records \(state.epochsDone) epochs done and \(state.records.count) epoch records; this run has \(schedule.totalEpochs) epochs: the checkpoint is damaged or from another run")
            }
            try schedule.restore(state.schedule)
        } else if !startsFromWeights {
            train.parameters.initialize(seed: UInt64(settings.seed), scheme: settings.initialization)
        }
        train.random = state.random
        for e in state.epochsDone..<schedule.totalEpochs {
            let plan = schedule.plan(epoch: e)
            let epochStart = Date()
            try begin(plan, schedule: schedule)
            let losses = try trainEpoch(e, plan: plan, schedule: schedule)
            let test = try Evaluation.run(eval, source: testSource)
            var record = schedule.record(plan, loss: losses.total, test: test, trainer: self)
            (record.crossEntropy, record.regulariser) = (losses.crossEntropy, losses.total - losses.crossEntropy)
            record.learningRate = plan.learningRate(batch: trainSource.batchesPerEpoch - 1, batches: trainSource.batchesPerEpoch)
            record.seconds = Date().timeIntervalSince(epochStart)
            state.records.append(record)
            state.epochsDone = e + 1
            state.random = train.random
            state.schedule = try schedule.savedState()
            // best first, so that last (what a resume reads) already records this epoch's best
            if plan.tracksBest, test.top1 > (state.bestTop1 ?? -1) {
                state.bestTop1 = test.top1
                try state.write(train.parameters, to: path("checkpoints/best.safetensors"), metadata: weightsMetadata)
            }
            try state.write(train.parameters, to: path("checkpoints/last.safetensors"), metadata: weightsMetadata)
            try state.records.writeCSV(to: path("log.csv"), format: schedule.logFormat)
            try schedule.endEpoch(plan, trainer: self)
            onEpoch(record)
        }
        if state.epochsDone == schedule.totalEpochs, schedule.totalEpochs > 0 {
            // the gates as the last epoch left them: a no-op after a loop that ran, and what a run
            // resumed after its last epoch (which trained nothing here) needs for its finish to
            // write the same files as the uninterrupted run
            let last = schedule.plan(epoch: schedule.totalEpochs - 1)
            train.gate = last.gate
            eval.gate = last.gate
        }
        return try schedule.finish(state, seconds: Date().timeIntervalSince(start), trainer: self)
    }

    /// The state a run starts from: no epoch done, the dropout generator seeded.
    var freshState: Checkpoint {
        Checkpoint(epochsDone: 0, random: SeededRandom(seed: UInt64(settings.seed) &+ 0x5EED), records: [], bestTop1: nil)
    }

    /// Sets both executors' gates and the frozen groups for `plan`, then lets the schedule prepare.
    public func begin(_ plan: EpochPlan, schedule: TrainingSchedule) throws {
        train.gate = plan.gate
        train.frozen = plan.frozen
        try schedule.begin(plan, trainer: self)
        eval.gate = train.gate
    }

    /// One pass over the training data; returns the mean loss and its cross-entropy part.
    func trainEpoch(_ e: Int, plan: EpochPlan, schedule: TrainingSchedule) throws -> (total: Double, crossEntropy: Double) {
        optimizer.reset()  // the reference re-creates its SGD every epoch
        let order = trainSource.order(epoch: e)
        let d = trainSource.dataset
        let images = UnsafeMutablePointer<Float>.allocate(capacity: settings.batch * d.sampleBytes)
        let labels = UnsafeMutablePointer<Int32>.allocate(capacity: settings.batch)
        defer { images.deallocate(); labels.deallocate() }
        let batches = trainSource.batchesPerEpoch
        var lossSum = 0.0, crossEntropySum = 0.0, count = 0
        let at = "phase \(plan.phase) epoch \(plan.epoch + 1)"
        for b in 0..<batches {
            if shouldStop() { throw SearchError("interrupted") }
            let n = try trainSource.fill(order: order, index: b, epoch: e, augment: true, images: images, labels: labels)
            if plan.betaRampTo != nil { train.gate.beta = plan.gateBeta(batch: b, batches: batches) }
            train.setInput(chw: images, batch: n)
            try train.forward(batch: n)
            var loss: Double
            do {
                loss = try train.backward(labels: labels)
            } catch let error as RuntimeError {
                throw SearchError("\(at), batch \(b + 1): \(error.message); the last checkpoint (after \(e) epochs) is in \(path("checkpoints")); try a lower learning rate")
            }
            crossEntropySum += loss * Double(n)
            loss += schedule.addLossTerms(plan, trainer: self)
            guard loss.isFinite else {
                throw SearchError("\(at), batch \(b + 1): the loss is \(loss); the last checkpoint (after \(e) epochs) is in \(path("checkpoints")); try a lower learning rate or lambda")
            }
            lossSum += loss * Double(n)
            count += n
            optimizer.step(groups: plan.stepping, learningRate: Float(plan.learningRate(batch: b, batches: batches)),
                           weightDecay: Float(plan.weightDecay), parallel: train.parallel)
            schedule.afterStep(plan, trainer: self)
            onBatch(plan, b, batches)
        }
        return (lossSum / Double(max(count, 1)), crossEntropySum / Double(max(count, 1)))
    }
}
