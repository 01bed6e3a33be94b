import DNALCore
import DNALData
import DNALKernels
import DNALPasses
import DNALRuntime
import DNALSyntax
import Foundation

/// One DNAL run (dnal-method.md 2-6): phase 1 trains the weights with the gates as identity;
/// phase 2 sets every alpha to 0, freezes conv and 2-D batch-norm weights (linear layers and 1-D
/// batch norms keep training, running statistics keep updating) and minimises cross-entropy +
/// lambda * sum(sigmoid(alpha)) while beta rises to beta_final; channels with
/// sigmoid(beta_final * alpha) > threshold are kept; phase 3 fine-tunes the hard-gated network
/// from the inherited weights. Everything is written into the run directory as it goes.
public final class SearchRun {
    public let graph: Graph
    public let settings: SearchSettings
    public let directory: String
    public let train: Executor
    let eval: Executor
    let optimizer: Optimizer
    let trainSource: BatchSource
    let testSource: BatchSource
    /// Metadata of every weights file the run writes: the network and the input normalisation.
    var weightsMetadata: [String: String] { ["network": graph.name].merging(trainSource.normalization.metadata) { a, _ in a } }
    let dataSource: String
    /// Called after every epoch with its record.
    public var onEpoch: (EpochRecord) -> Void = { _ in }
    /// Called after every training batch with (phase, epoch within the phase from 0, batch, batches).
    public var onBatch: (Int, Int, Int, Int) -> Void = { _, _, _, _ in }
    /// Polled between batches; when it returns true the run stops (the last checkpoint stays).
    public var shouldStop: () -> Bool = { false }

    /// Phase 3's weight masks (the reference's `weight * mask`), set when the phase starts.
    var weightMasks: ChannelMasks?
    /// Phase 3: per conv, the output channels that read no live input (`deadRows`).
    var deadConvRows: [Int: [Int]] = [:]
    /// Whether a fresh run starts from given weights rather than a seeded initialisation.
    let startsFromWeights: Bool

    /// `normalization` fixes the input normalisation (that of the weights being fine-tuned, or of
    /// the run being resumed); by default it is computed from the training split.
    /// `initialWeights` (tensors as read from a safetensors file, and its name) replace the seeded
    /// initialisation of a fresh run: fine-tuning, `dnalc train --weights`. They are checked here,
    /// before anything is written.
    public init(graph: Graph, data: DataSplits, settings: SearchSettings, directory: String, threads: Int,
                normalization: Normalization? = nil,
                initialWeights: (tensors: [String: SafeTensors.Tensor], source: String)? = nil) throws {
        try settings.validate()
        var data = data
        if let n = settings.trainLimit { data.train = data.train.prefix(n) }
        if let n = settings.testLimit { data.test = data.test.prefix(n) }
        try data.check(fits: graph)
        self.graph = graph
        self.settings = settings
        self.directory = directory
        dataSource = data.source
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
        trainSource = BatchSource(dataset: data.train, batchSize: settings.batch, augmentation: .standard(for: data.train),
                                  normalization: normalization, seed: UInt64(settings.seed))
        testSource = BatchSource(dataset: data.test, batchSize: max(settings.batch, 256), augmentation: .none,
                                 normalization: normalization, seed: UInt64(settings.seed))
    }

    var totalEpochs: Int { settings.epochs.reduce(0, +) }

    /// (phase 1-3, epoch within the phase from 0) of global epoch `e`.
    func phase(of e: Int) -> (Int, Int) {
        let (e1, e2) = (settings.epochs[0], settings.epochs[1])
        if e < e1 { return (1, e) }
        if e < e1 + e2 { return (2, e - e1) }
        return (3, e - e1 - e2)
    }

    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// Creates `path` (and its parents) and checks it is writable, before any work is done.
    public static func prepareDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            let reason = (error as NSError).userInfo[NSUnderlyingErrorKey].map { ($0 as? NSError)?.localizedDescription ?? "\($0)" }
            throw SearchError("cannot create the run directory '\(path)': \(reason ?? error.localizedDescription)")
        }
        guard FileManager.default.isWritableFile(atPath: path) else {
            throw SearchError("cannot write into the run directory '\(path)'")
        }
    }

    /// Runs (or, with `resume`, continues) the search; returns the report it also writes.
    public func run(resume: Bool) throws -> SearchReport {
        let start = Date()
        var state = Checkpoint(epochsDone: 0, random: SeededRandom(seed: UInt64(settings.seed) &+ 0x5EED), records: [], bestTop1: nil)
        try Self.prepareDirectory(path("checkpoints"))
        if resume {
            state = try Checkpoint.read(from: path("checkpoints/last.safetensors"), into: train.parameters)
        } else if !startsFromWeights {
            train.parameters.initialize(seed: UInt64(settings.seed))
        }
        train.random = state.random
        for e in state.epochsDone..<totalEpochs {
            let (phase, k) = phase(of: e)
            let epochStart = Date()
            try configure(phase: phase, epoch: k, fresh: true)
            let loss = try trainEpoch(e, phase: phase, k: k)
            let test = try Evaluation.run(eval, source: testSource)
            var record = measure(phase: phase, epoch: k, loss: loss, test: test)
            record.seconds = Date().timeIntervalSince(epochStart)
            state.records.append(record)
            state.epochsDone = e + 1
            state.random = train.random
            try state.write(train.parameters, to: path("checkpoints/last.safetensors"), metadata: weightsMetadata)
            if phase == 3 || settings.epochs[2] == 0, test.top1 > (state.bestTop1 ?? -1) {
                state.bestTop1 = test.top1
                try state.write(train.parameters, to: path("checkpoints/best.safetensors"), metadata: weightsMetadata)
            }
            try state.records.writeCSV(to: path("log.csv"))
            if phase == 2 && k == settings.epochs[1] - 1 { try writeMasks() }
            onEpoch(record)
        }
        var report = SearchReport(graph: graph, settings: settings, data: dataSource, records: state.records,
                                  masks: currentMasks(beta: settings.betaFinal), bestTop1: state.bestTop1,
                                  seconds: Date().timeIntervalSince(start))
        try writeMasks()
        try train.parameters.save(to: path("final.safetensors"), metadata: weightsMetadata)
        if settings.epochs[1] > 0 {
            do {
                try writePrunedNetwork(masks: currentMasks(beta: settings.betaFinal))
                report.prunedNetwork = "pruned.yaml"
            } catch let error as GraphError {
                report.prunedNetworkNote = error.message
            }
        }
        try report.write(to: path("report.json"))
        let html = ReportHTML.render(report: report, graph: graph, records: state.records, store: train.parameters,
                                     masks: currentMasks(beta: settings.betaFinal).keep, settings: settings)
        try writeAtomically([UInt8](html.utf8), to: path("report.html"))
        return report
    }

    /// Sets the gates, frozen groups and beta for an epoch; at the first epoch of phase 2 every
    /// alpha becomes 0, at the first of phase 3 the masks are derived.
    func configure(phase: Int, epoch k: Int, fresh: Bool) throws {
        let p = train.parameters
        switch phase {
        case 1:
            train.gate = Gate(mode: .identity)
            train.frozen = [.alpha]
        case 2:
            if k == 0 {
                for e in p.entries(.gateAlpha) { p.pointer(e.name).update(repeating: 0, count: e.count) }
            }
            train.gate = Gate(mode: .search, beta: Float(settings.beta(phase2Epoch: k)))
            train.frozen = [.conv, .batchNorm2d]
        default:
            // masks come from the gates learned in phase 2; without it (fine-tuning, plain training)
            // they are the ones the weights hold
            if k == 0 && settings.epochs[1] > 0 {
                deriveMasks()
                do {
                    try checkMasksKeepNetworkConnected(graph, gates: currentMasks(beta: settings.betaFinal))
                } catch {
                    throw SearchError("the learned masks \(error.message.replacingOccurrences(of: "the masks ", with: "")); the regulariser was too strong for this schedule: try a smaller --lambda (now \(settings.lambda))")
                }
            }
            train.gate = Gate(mode: .hard)
            train.frozen = [.alpha]
            let masks = currentMasks(beta: settings.betaFinal)
            weightMasks = computeChannelMasks(graph, gates: masks)
            deadConvRows = deadRows(graph, gates: masks)
            applyWeightMasks(weightMasks!)
        }
        eval.gate = train.gate
    }

    /// mask_c &= sigmoid(beta_final * alpha_c) > threshold (the reference ANDs with any earlier mask).
    func deriveMasks() {
        let p = train.parameters
        for e in p.entries(.gateAlpha) {
            let alpha = p.pointer(e.name), mask = p.pointer(e.spec.node, .gateMask)
            for c in 0..<e.count where !Gate.keeps(alpha: alpha[c], betaFinal: settings.betaFinal, threshold: settings.threshold) {
                mask[c] = 0
            }
        }
    }

    /// One pass over the training data; returns the mean loss.
    func trainEpoch(_ e: Int, phase: Int, k: Int) throws -> Double {
        optimizer.reset()  // the reference re-creates its SGD every epoch
        let groups: Set<ParameterGroup> = phase == 2 ? [.alpha, .linear, .batchNorm1d] : [.conv, .batchNorm2d, .linear, .batchNorm1d]
        let order = trainSource.order(epoch: e)
        let d = trainSource.dataset
        let images = UnsafeMutablePointer<Float>.allocate(capacity: settings.batch * d.sampleBytes)
        let labels = UnsafeMutablePointer<Int32>.allocate(capacity: settings.batch)
        defer { images.deallocate(); labels.deallocate() }
        let batches = trainSource.batchesPerEpoch
        var lossSum = 0.0, count = 0
        for b in 0..<batches {
            if shouldStop() { throw SearchError("interrupted") }
            let n = trainSource.fill(order: order, index: b, epoch: e, augment: true, images: images, labels: labels)
            train.setInput(chw: images, batch: n)
            try train.forward(batch: n)
            var loss: Double
            do {
                loss = try train.backward(labels: labels)
            } catch let error as RuntimeError {
                throw SearchError("phase \(phase) epoch \(k + 1), batch \(b + 1): \(error.message); the last checkpoint (after \(e) epochs) is in \(path("checkpoints")); try a lower learning rate")
            }
            if phase == 2 { loss += addRegulariser() }
            guard loss.isFinite else {
                throw SearchError("phase \(phase) epoch \(k + 1), batch \(b + 1): the loss is \(loss); the last checkpoint (after \(e) epochs) is in \(path("checkpoints")); try a lower learning rate or lambda")
            }
            lossSum += loss * Double(n)
            count += n
            let lr = learningRate(phase: phase, k: k, batch: b, batches: batches)
            optimizer.step(groups: groups, learningRate: Float(lr), weightDecay: Float(settings.weightDecay[phase - 1]))
            if phase == 3, let weightMasks { applyWeightMasks(weightMasks) }
            onBatch(phase, k, b, batches)
        }
        return lossSum / Double(max(count, 1))
    }

    /// lambda * sum(sigmoid(alpha)) (unscaled sigmoid, no beta: the reference's regulariser);
    /// adds its gradient lambda * s * (1 - s) to every alpha's and returns its value.
    func addRegulariser() -> Double {
        let p = train.parameters, lambda = settings.lambda
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

    /// Phases 1 and 3: cosine annealing from the phase's rate to 0 over the phase; phase 2: constant.
    func learningRate(phase: Int, k: Int, batch b: Int, batches: Int) -> Double {
        let lr = settings.learningRates[phase - 1]
        guard phase != 2 else { return lr }
        let total = Double(settings.epochs[phase - 1] * batches), t = Double(k * batches + b)
        return lr * 0.5 * (1 + cos(Double.pi * t / max(total, 1)))
    }

    /// The gates' masks as they stand: during phase 2, those binarising now would give
    /// (sigmoid(beta * alpha) > threshold, with `beta` normally beta_final); the stored masks
    /// (phase 3) are ANDed in.
    func currentMasks(beta: Double) -> GateMasks {
        var masks = GateMasks(keep: [:])
        let p = train.parameters
        for n in graph.nodes where n.op == .gate {
            let alpha = p.pointer(n.id, .gateAlpha), mask = p.pointer(n.id, .gateMask)
            masks.keep[n.id] = (0..<n.shape.channels).map { c in
                mask[c] > 0 && (train.gate.mode != .search || Gate.keeps(alpha: alpha[c], betaFinal: beta, threshold: settings.threshold))
            }
        }
        return masks
    }

    /// An epoch's record: open gates, expected and hard cost, besides loss and accuracy.
    func measure(phase: Int, epoch k: Int, loss: Double, test: Evaluation) -> EpochRecord {
        let gates = graph.nodes.filter { $0.op == .gate }.reduce(0) { $0 + $1.shape.channels }
        let full = computeCost(graph, convention: .dnal)
        var expected = full.totalFLOPs, hard = full, open = gates
        if phase >= 2 {
            // "hard": what binarising now (at beta_final, as the reference does) would keep
            let masks = currentMasks(beta: settings.betaFinal)
            open = masks.keptChannels
            hard = computeCost(graph, convention: .dnal,
                               masks: computeChannelMasks(graph, gates: masks))
            if phase == 2 {
                var soft: [Int: [Double]] = [:]
                let p = train.parameters
                for n in graph.nodes where n.op == .gate {
                    let alpha = p.pointer(n.id, .gateAlpha), mask = p.pointer(n.id, .gateMask)
                    soft[n.id] = (0..<n.shape.channels).map { Double(train.gate.factor(alpha: alpha[$0], mask: mask[$0])) }
                }
                expected = computeExpectedCost(graph, convention: .dnal, masks: computeSoftChannelMasks(graph, open: soft)).totalFLOPs
            } else {
                expected = hard.totalFLOPs
            }
        }
        return EpochRecord(phase: phase, epoch: k + 1, beta: phase == 2 ? Double(train.gate.beta) : (phase == 3 ? settings.betaFinal : 1),
                           loss: loss, test: test, openGates: open, gates: gates, expectedFLOPs: expected,
                           hardFLOPs: hard.totalFLOPs, hardParams: hard.totalParams, seconds: 0)
    }

    /// `pruned.yaml` and `pruned.safetensors`: the compact network and its inherited weights.
    func writePrunedNetwork(masks: GateMasks) throws {
        try PrunedNetworkFiles(pruning: graph, weights: train.parameters, masks: masks).write(
            to: path("pruned.yaml"), metadata: weightsMetadata,
            provenance: "pruned by dnalc search from \(graph.name) (lambda \(settings.lambda), epochs \(settings.epochs.map(String.init).joined(separator: "+")))")
    }

    func writeMasks() throws {
        let masks = train.gate.mode == .identity ? GateMasks.allOpen(graph) : currentMasks(beta: settings.betaFinal)
        try writeAtomically([UInt8](MasksFile.encode(masks, for: graph).utf8), to: path("masks.json"))
    }
}
